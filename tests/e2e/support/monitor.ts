/**
 * The lead's dashboard feed for e2e tests: a typed socket.io client of `/monitor` (read-only).
 */
import {
  MONITOR_NAMESPACE,
  type MonitorClientToServerEvents,
  type MonitorServerToClientEvents,
} from '@fedaln/protocol';
import type { Socket } from 'socket.io-client';
import { connectWithToken } from './site-client';

export type MonitorSocket = Socket<MonitorServerToClientEvents, MonitorClientToServerEvents>;

/** Connects with the admin `token`; resolves once connected, rejects with the server's connect_error. */
export function connectMonitor(baseUrl: string, token: string): Promise<MonitorSocket> {
  return connectWithToken<MonitorSocket>(baseUrl + MONITOR_NAMESPACE, token);
}
