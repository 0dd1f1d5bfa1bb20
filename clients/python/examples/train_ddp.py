"""A tiny DDP job on CPU (gloo) that logs to Cohort from every rank.

    python3 -m torch.distributed.run --nproc_per_node 4 clients/python/examples/train_ddp.py

Each rank trains the same small classifier on its own shard of synthetic
data and logs loss and accuracy every step and gradient histograms every 10
(``run.watch``); rank 0 logs the trained model as an artifact; the ranks of one torchrun job
form one group in Cohort (the agent's SDK reads torchrun's environment), whose
page shows the mean, min and max across ranks. STEPS, PROJECT, STEP_SLEEP and
PRINT_STEPS (print a line after each log) come from the environment.
"""

import os
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import cohort


def main():
    steps = int(os.environ.get("STEPS", "40"))
    sleep = float(os.environ.get("STEP_SLEEP", "0"))
    print_steps = os.environ.get("PRINT_STEPS") == "1"
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)
    torch.set_num_threads(1)

    # Synthetic, separable data: the label is whether a fixed projection is positive.
    truth = torch.linspace(-1, 1, 16)
    x = torch.randn(512, 16)
    y = (x @ truth > 0).long()

    model = DistributedDataParallel(nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    loss_fn = nn.CrossEntropyLoss()

    with cohort.init(project=os.environ.get("PROJECT", "ddp-demo"), config={"lr": 0.2, "world_size": world, "steps": steps}) as run:
        print("cohort run {} group {} rank {} pid {}".format(run.id, run.group, rank, os.getpid()), flush=True)
        run.watch(model.module, log="gradients", log_freq=10)
        for step in range(steps):
            batch = torch.randint(0, len(x), (64,))
            optimizer.zero_grad()
            logits = model(x[batch])
            loss = loss_fn(logits, y[batch])
            loss.backward()
            optimizer.step()
            accuracy = (logits.argmax(dim=1) == y[batch]).float().mean()
            run.log({"loss": loss, "accuracy": accuracy})
            if print_steps:
                print("rank {} logged step {}".format(rank, step), flush=True)
            if sleep:
                time.sleep(sleep)
        if rank == 0:
            path = os.path.join(run.dir, "model.pt")
            torch.save(model.module.state_dict(), path)
            model_artifact = run.log_model(path, name="ddp-classifier", aliases=["final"])
            print("rank 0 logged model {}".format(model_artifact.qualified_name), flush=True)
        print("rank {} done".format(rank), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
