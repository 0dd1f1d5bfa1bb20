export { IdentityStore, MAX_ENTITIES_PER_USER } from './identity-store.js';
export type { EntityKind, MemberRole, NewApiKey, StoredApiKey, StoredEntity } from './identity-types.js';
