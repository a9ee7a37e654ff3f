/**
 * The DICOM listener (C-ECHO and C-STORE SCP). Our own net.Server rather than dcmjs-dimse's
 * Server, which binds every interface and cannot count or limit associations: this one honours
 * dicom.bind, keeps the set of connections, and stops gracefully.
 */
import { createServer, Server as NetServer, Socket } from 'node:net';
import { Implementation } from 'dcmjs-dimse';
import { Config } from '../config/schema';
import { Logger } from '../ops/logger';
import { AuditLog } from '../ops/audit';
import type { InstanceReceiver, ReceivedInstance } from './receive';
import { AssociationPolicy } from './scpPolicy';
import { PeerConnection, RECEIVE_MAX_PDU } from './scpAssociation';
import { quietDicomLibraries } from './quietLibraries';

export interface DicomListener {
  /** The port actually bound (dicom.port 0 = any free port). */
  port: number;
  address: string;
  activeAssociations(): number;
  /** Stops accepting, lets each association finish its current instance (up to graceMs), then closes. */
  stop(graceMs?: number): Promise<void>;
}

export interface ListenerServices<T extends ReceivedInstance = ReceivedInstance> {
  store: InstanceReceiver<T>;
  logger: Logger;
  audit: AuditLog;
  onStored(instance: T): void;
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

  const server: NetServer = createServer({ noDelay: true }, (socket: Socket) => {
    const connection = new PeerConnection(socket, {
      policy,
      store: services.store,
      logger,
      audit,
      artimMs: settings.artimTimeoutS * 1000,
      idleMs: settings.idleTimeoutS * 1000,
      activeAssociations: () => established.size,
      associationStarted: (c) => established.add(c),
      associationEnded: (c) => established.delete(c),
      onStored: services.onStored,
    });
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
  // Connections beyond this are closed at once by Node; below it, a peer over dicom.maxAssociations
  // still gets a proper "local limit exceeded" rejection.
  server.maxConnections = settings.maxAssociations * 2 + 4;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const hint =
        e.code === 'EADDRINUSE'
          ? `port ${settings.port} is already in use on ${settings.bind}; stop the other program or set dicom.port (CD8_PORT).`
          : e.code === 'EACCES'
            ? `not allowed to listen on port ${settings.port}; ports below 1024 need privileges: use a higher dicom.port.`
            : e.code === 'EADDRNOTAVAIL'
              ? `${settings.bind} is not an address of this machine; fix dicom.bind (CD8_BIND).`
              : e.message;
      reject(new Error(`the DICOM listener cannot start: ${hint}`));
    };
    server.once('error', onError);
    server.listen({ port: settings.port, host: settings.bind }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => logger.error(`DICOM listener error: ${e.message}`));
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : settings.port;
  logger.info(`DICOM listener ready: ${settings.aeTitle} on ${settings.bind}:${port}`, {
    aeTitle: settings.aeTitle,
    bind: settings.bind,
    port,
    maxAssociations: settings.maxAssociations,
  });

  return {
    port,
    address: settings.bind,
    activeAssociations: () => established.size,
    async stop(graceMs = 5000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.shutdown();
      const deadline = Date.now() + graceMs;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const c of connections) c.kill();
      await closed;
      logger.info('DICOM listener stopped');
    },
  };
}
