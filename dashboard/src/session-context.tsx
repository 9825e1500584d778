/** What every page gets: the API client, the shared live event socket, and the key's role. */
import { createContext, useContext } from 'react';
import type { JobgateClient, LiveEvents } from '../../src/client/index.js';
import type { Role } from './session.js';

export interface SessionValue {
  client: JobgateClient;
  live: LiveEvents;
  role: Role;
}

export const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in view');
  return value;
}
