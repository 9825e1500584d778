/** Who is calling: resolved from an API key by http/, or built by in-process callers. */
export type Role = 'admin' | 'tenant' | 'worker';

export interface Principal {
  owner: string;
  role: Role;
  tier: string;
  keyId: string | null;
}

/** The owner filter a store call runs under: admins see every owner's jobs. */
export function scopeOwner(principal: Principal): string | undefined {
  return principal.role === 'admin' ? undefined : principal.owner;
}

/** The caller of a single-tenant deployment and of in-process code. */
export const systemPrincipal: Principal = { owner: 'system', role: 'admin', tier: 'internal', keyId: null };
