/**
 * The DICOM listener (C-ECHO and C-STORE SCP). Our own net.Server rather than dcmjs-dimse's
 * Server, which binds every interface and cannot count or limit associations: this one honours
 * dicom.bind, keeps the set of connections, and stops gracefully.
 */
import { createServer, Server as NetServer, Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { Implementation } from 'dcmjs-dimse';
import { Config } from '../config/schema';
import { Logger } from '../ops/logger';
import type { IdHasher } from '../ops/idHash';
import { AuditLog } from '../ops/audit';
import type { InstanceReceiver, ReceivedInstance } from './receive';
import { AssociationPolicy } from './scpPolicy';
import { normaliseAddress } from '../ops/ipAddress';
import { PeerConnection, RECEIVE_MAX_PDU } from './scpAssociation';
import { clientCertificateRefusal, describeHandshakeFailure, listenerTlsOptions, TlsPeer, tlsPeer } from './scpTls';
import { quietDicomLibraries } from './quietLibraries';

/** Repeatable refusals are logged at most this often per peer and kind. */
const REFUSAL_LOG_EVERY_MS = 10_000;

/** Connections a host may hold beyond its association limit (being rejected, closing). */
const PER_HOST_SPARE_CONNECTIONS = 4;

function count(connections: Iterable<PeerConnection>, address: string): number {
  let n = 0;
  for (const c of connections) if (c.address === address) n += 1;
  return n;
}

export interface DicomListener {
  /** The port actually bound (dicom.port 0 = any free port); the TLS port when dicom.tls.plain is false. */
  port: number;
  /** The TLS port actually bound, when dicom.tls.enabled. */
  tlsPort?: number;
  address: string;
  activeAssociations(): number;
  /** Stops accepting, lets each association finish its current instance (up to graceMs), then closes. */
  stop(graceMs?: number): Promise<void>;
}

export interface ListenerServices<T extends ReceivedInstance = ReceivedInstance> {
  store: InstanceReceiver<T>;
  logger: Logger;
  audit: AuditLog;
  /** Hashes the Patient ID for the log (ops/idHash). */
  hashId: IdHasher;
  onStored(instance: T): void;
  /** Why new associations are refused now (transient: e.g. the database is unreachable); undefined when they are taken. */
  unavailable?(): string | undefined;
}

async function listen(server: NetServer, port: number, bind: string, key: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const hint =
        e.code === 'EADDRINUSE'
          ? `port ${port} is already in use on ${bind}; stop the other program or set ${key}${key === 'dicom.port' ? ' (CD8_PORT)' : ''}.`
          : e.code === 'EACCES'
            ? `not allowed to listen on port ${port}; ports below 1024 need privileges: use a higher ${key}.`
            : e.code === 'EADDRNOTAVAIL'
              ? `${bind} is not an address of this machine; fix dicom.bind (CD8_BIND).`
              : e.message;
      reject(new Error(`the DICOM listener cannot start: ${hint}`));
    };
    server.once('error', onError);
    server.listen({ port, host: bind }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address();
  return typeof bound === 'object' && bound ? bound.port : port;
}

export async function startDicomListener<T extends ReceivedInstance>(settings: Config['dicom'], services: ListenerServices<T>): Promise<DicomListener> {
  quietDicomLibraries();
  Implementation.setMaxPduLength(RECEIVE_MAX_PDU);

  const { logger, audit } = services;
  const connections = new Set<PeerConnection<T>>();
  const established = new Set<PeerConnection<T>>();
  const policy = new AssociationPolicy(settings, undefined, (host, e) =>
    logger.warn(`dicom.allowedCallers: cannot resolve host "${host}" (${e.message}); callers listed with it are refused until it resolves.`),
  );

  const perHostConnections = Math.min(settings.maxAssociationsPerHost, settings.maxAssociations) + PER_HOST_SPARE_CONNECTIONS;
  /**
   * Refusals a peer can repeat at will (connections over its share, failed TLS handshakes) are
   * logged and audited at most once per 10 s per peer and kind, so that they cannot flood the disk.
   */
  const lastRefusalLog = new Map<string, number>();
  const mayLog = (key: string): boolean => {
    const now = Date.now();
    if (now - (lastRefusalLog.get(key) ?? 0) <= REFUSAL_LOG_EVERY_MS) return false;
    if (lastRefusalLog.size >= 1024) for (const [k, at] of lastRefusalLog) if (now - at > REFUSAL_LOG_EVERY_MS) lastRefusalLog.delete(k);
    lastRefusalLog.set(key, now);
    return true;
  };
  /** Open TCP connections by address (TLS ones from before their handshake). */
  const open = new Map<string, number>();
  /** One host cannot hold every connection slot with connections that never associate. */
  const admit = (socket: Socket): boolean => {
    const address = normaliseAddress(socket.remoteAddress ?? '?');
    const held = open.get(address) ?? 0;
    if (held >= perHostConnections) {
      socket.destroy();
      if (mayLog(`cap ${address}`)) {
        logger.warn(`connection from ${address} refused: it already holds ${perHostConnections} connections (dicom.maxAssociationsPerHost + ${PER_HOST_SPARE_CONNECTIONS}); further refusals from it are logged at most every 10 s.`);
      }
      return false;
    }
    open.set(address, held + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    return true;
  };
  const serve = (socket: Socket, tls: TlsPeer | undefined) => {
    const connection = new PeerConnection(socket, {
      policy,
      store: services.store,
      logger,
      audit,
      hashId: services.hashId,
      artimMs: settings.artimTimeoutS * 1000,
      idleMs: settings.idleTimeoutS * 1000,
      pduMs: settings.pduTimeoutS * 1000,
      tls,
      activeAssociations: () => established.size,
      activeFromHost: (address) => count(established, address),
      associationStarted: (c) => established.add(c),
      associationEnded: (c) => established.delete(c),
      onStored: services.onStored,
      unavailable: services.unavailable,
    });
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  };

  const servers: NetServer[] = [];
  let port = settings.port;
  if (!settings.tls.enabled || settings.tls.plain) {
    const server = createServer({ noDelay: true }, (socket: Socket) => {
      if (admit(socket)) serve(socket, undefined);
    });
    port = await listen(server, settings.port, settings.bind, 'dicom.port');
    servers.push(server);
  }
  // Connections beyond this are closed at once by Node; below it, a peer over dicom.maxAssociations
  // still gets a proper "local limit exceeded" rejection.
  const maxConnections = settings.maxAssociations * 2 + 4;
  let tlsPort: number | undefined;
  if (settings.tls.enabled) {
    // A TLS handshake must finish within the ARTIM timeout, like the association request after it.
    const server = createTlsServer({ ...listenerTlsOptions(settings.tls), handshakeTimeout: settings.artimTimeoutS * 1000 }, (socket: TLSSocket) => {
      const refusal = clientCertificateRefusal(socket, settings.tls);
      if (refusal === undefined) return serve(socket, tlsPeer(socket));
      const where = `${normaliseAddress(socket.remoteAddress ?? '?')}:${socket.remotePort ?? '?'}`;
      if (mayLog(`tls ${normaliseAddress(socket.remoteAddress ?? '?')} ${refusal.slice(0, 40)}`)) {
        logger.warn(`DICOM TLS connection from ${where} refused: ${refusal}`);
        audit.record({ event: 'association.rejected', peer: where, reason: `TLS client certificate refused: ${refusal.slice(0, 200)}` });
      }
      socket.destroy();
    });
    server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      admit(socket);
    });
    server.on('tlsClientError', (e: Error, socket: TLSSocket) => {
      const where = socket.remoteAddress ? `${normaliseAddress(socket.remoteAddress)}:${socket.remotePort ?? '?'}` : 'a caller';
      const why = describeHandshakeFailure(e);
      if (!mayLog(`tls ${socket.remoteAddress ? normaliseAddress(socket.remoteAddress) : '?'} ${why.slice(0, 40)}`)) return;
      logger.warn(`DICOM TLS connection from ${where} refused: ${why}`);
      audit.record({ event: 'association.rejected', peer: where, reason: `TLS handshake failed: ${e.message.slice(0, 200)}` });
    });
    tlsPort = await listen(server, settings.tls.port, settings.bind, 'dicom.tls.port');
    servers.push(server);
    if (!settings.tls.plain) port = tlsPort;
  }
  for (const server of servers) server.maxConnections = maxConnections;
  for (const server of servers) server.on('error', (e) => logger.error(`DICOM listener error: ${e.message}`));
  logger.info(`DICOM listener ready: ${settings.aeTitle} on ${settings.bind}:${port}${tlsPort === undefined ? '' : settings.tls.plain ? `, TLS on port ${tlsPort}` : ' (TLS only)'}`, {
    aeTitle: settings.aeTitle,
    bind: settings.bind,
    port,
    tlsPort,
    maxAssociations: settings.maxAssociations,
    maxAssociationsPerHost: settings.maxAssociationsPerHost,
  });

  return {
    port,
    tlsPort,
    address: settings.bind,
    activeAssociations: () => established.size,
    async stop(graceMs = 5000) {
      const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const c of connections) c.shutdown();
      const deadline = Date.now() + graceMs;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const c of connections) c.kill();
      await closed;
      logger.info('DICOM listener stopped');
    },
  };
}
