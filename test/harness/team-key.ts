import { generateApiKey, type Coordinator } from '@cohort/coordinator';

/** Makes `user` a member of `team` on the coordinator's store and returns a new API key of that user. */
export async function teamKey(coordinator: Coordinator, user: string, team: string): Promise<string> {
  const identity = coordinator.engine.store.identity;
  await identity.ensureUser(user);
  await identity.ensureTeam(team);
  await identity.addMember(team, user);
  const k = generateApiKey();
  await identity.createKey({ id: k.id, user, label: 'test', hash: k.hash, createdAt: Date.now() / 1000 });
  return k.key;
}
