/**
 * dcmjs-dimse's Client keeps its socket private and offers neither TCP_NODELAY nor a way to drop
 * a connection that never got an association. Both matter on the wire (Nagle costs ~40 ms per
 * PDU round trip; a silent peer must not keep our process alive), so we reach the socket here,
 * in one place, through the Client's `network.socket` fields (stable across 0.3.x).
 */
import type { Socket } from 'node:net';
import type { Client } from 'dcmjs-dimse';

function socketOf(client: Client): Socket | undefined {
  return (client as unknown as { network?: { socket?: Socket } }).network?.socket;
}

/** Call from the client's "connected" event. */
export function setClientNoDelay(client: Client): void {
  socketOf(client)?.setNoDelay(true);
}

/** Tears the connection down without waiting for the peer (after a timeout). */
export function destroyClientSocket(client: Client): void {
  const socket = socketOf(client);
  if (socket && !socket.destroyed) socket.destroy();
}

/** Calls `done` once the TLS handshake of a TLS client has completed (call from "connected"). */
export function onClientTlsHandshake(client: Client, done: () => void): void {
  const socket = socketOf(client);
  if (socket && 'encrypted' in socket) socket.once('secureConnect', done);
}
