"""`pip install ./clients/python` works offline, with Debian's setuptools, into a fresh venv; the installed package logs a run."""

import os
import shutil
import subprocess
import sys
import textwrap

from conftest import CLIENT


def test_pip_install_offline_into_a_fresh_venv(server, env, project, tmp_path):
    source = tmp_path / "src"
    shutil.copytree(CLIENT, source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, "python3 -m venv failed (on Debian: apt-get install -y python3-venv): " + made.stdout + made.stderr
    python = str(venv / "bin" / "python")
    clean = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    out = subprocess.run([python, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", str(source)], env=clean, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    script = textwrap.dedent(
        """
        import sys, cohort
        assert "site-packages" in cohort.__file__, cohort.__file__
        with cohort.init(project=sys.argv[1]) as run:
            run.log({"x": 1})
        print(run.id)
        """
    )
    ran = subprocess.run([python, "-c", script, project], env=clean, cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert server.run(project, ran.stdout.strip())["state"] == "finished"
