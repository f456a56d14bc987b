// How long a client may take to send a request body. Node's own `requestTimeout` bounds the
// whole request (300 s by default), which cuts honest multi-gigabyte uploads on slow links
// and is switched off entirely by fastify. Instead, every server bounds the body phase in
// two ways:
// - a client that goes silent mid-body for `idleMs` loses its connection (a stalled
//   upload never holds a socket for ever);
// - a body the server reads into memory (JSON and the like) must arrive whole within
//   `wholeBodyMs`, so a trickle of one byte a minute cannot hold a socket either.
// Routes that stream their body to storage (image data, object PUTs) declare it with
// `config: { streamsBody: true }` and are bounded by the idle timeout alone: their size is
// unbounded, so no total time can fit them all.
import type { FastifyInstance } from 'fastify';
import { announcesBody } from './http.js';

export interface BodyTimeouts {
  idleMs: number;
  wholeBodyMs: number;
}

/** Route option: this route streams its body, so only the idle timeout applies. */
export const STREAMED_BODY = { streamsBody: true } as const;

/** Installs both bounds on `app` (before it listens). */
export function boundRequestBodies(app: FastifyInstance, { idleMs, wholeBodyMs }: BodyTimeouts): void {
  // The whole-request timer of Node is replaced by the two bounds below.
  app.server.requestTimeout = 0;
  app.addHook('onRequest', async (request) => {
    const raw = request.raw;
    if (!announcesBody(request.headers) || raw.complete) return;
    const socket = raw.socket;
    socket.setTimeout(idleMs);
    raw.once('timeout', () => {
      request.log.warn({ idleMs }, 'client sent no body bytes in time; closing the connection');
      socket.destroy();
    });
    const streamed = (request.routeOptions.config as { streamsBody?: boolean } | undefined)?.streamsBody === true;
    const deadline = streamed
      ? undefined
      : setTimeout(() => {
          if (raw.complete) return;
          request.log.warn({ wholeBodyMs }, 'request body not received in time; closing the connection');
          socket.destroy();
        }, wholeBodyMs);
    const done = () => {
      clearTimeout(deadline);
      if (!socket.destroyed) socket.setTimeout(app.server.timeout);
    };
    raw.once('end', done);
    raw.once('close', done);
  });
}
