/**
 * POST /dicomweb/studies on the node's HTTP port (fastify): hands the raw request to the
 * framework-independent STOW-RS core (stowReceiver.ts) and sends its answer. The body is not
 * parsed by fastify (whatever its Content-Type), so the core sees the stream as it arrives and
 * applies its own bounds.
 */
import type { HttpRoutes } from '../ops/http';
import { handleStow, StowReceiverDeps } from './stowReceiver';

export const STOW_PATH = '/dicomweb/studies';

export function stowRoutes(deps: StowReceiverDeps): HttpRoutes {
  return {
    name: 'DICOMweb STOW-RS',
    register(app) {
      // In this plugin's scope only: every body stays a stream for the handler.
      app.removeAllContentTypeParsers();
      app.addContentTypeParser('*', (_request, _payload, done) => done(null));
      app.post(STOW_PATH, async (request, reply) => {
        const h = request.headers;
        const answer = await handleStow(
          {
            contentType: h['content-type'],
            contentLength: h['content-length'],
            authorization: h.authorization,
            body: request.raw,
            peer: `${request.ip}:${request.socket.remotePort ?? ''}`,
          },
          deps,
        );
        // A refused request whose body was not read: close the connection instead of draining it.
        if (answer.status === 413 || answer.status === 401 || answer.status === 415) reply.header('connection', 'close');
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      });
    },
  };
}
