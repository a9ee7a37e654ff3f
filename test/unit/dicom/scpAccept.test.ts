/**
 * Our A-ASSOCIATE-AC writer against dcmjs-dimse's own (the one it replaces on the listener's path):
 * for any accepted association (contexts accepted or refused, with or without a transfer syntax,
 * SCU/SCP role selection, asynchronous operations, a user identity server response, AE titles
 * of any length up to 16), the same bytes.
 */
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { association as dimseAssociation, constants, log, Scp } from 'dcmjs-dimse';
import { associateAcPdu, prepareAccept } from '../../../src/dicom/scpAccept';

log.setLevel('silent');

const { PresentationContextResult } = constants;

/** Just enough of a socket for dcmjs-dimse's Scp to write a PDU into. */
class CapturingSocket extends EventEmitter {
  readonly written: Buffer[] = [];
  write(b: Buffer): boolean {
    this.written.push(b);
    return true;
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  destroy(): this {
    return this;
  }
  end(): this {
    return this;
  }
}

interface Recipe {
  /** Presentation context IDs as proposed (a peer may repeat one); by default 1, 3, 5, ... */
  ids?: number[];
  calling: string;
  called: string;
  maxPdu: number;
  contexts: Array<{ abstract: string; syntaxes: string[]; result: number; accepted?: string; userRole?: boolean; providerRole?: boolean }>;
  asyncOps?: [number, number];
  serverResponse?: string;
}

function build(r: Recipe): dimseAssociation.Association {
  const a = new dimseAssociation.Association(r.calling, r.called);
  a.setMaxPduLength(r.maxPdu);
  for (const [i, c] of r.contexts.entries()) {
    const id = r.ids ? a.addPresentationContext(c.abstract, r.ids[i]) : a.addPresentationContext(c.abstract);
    for (const ts of c.syntaxes) a.addTransferSyntaxToPresentationContext(id, ts);
    const context = a.getPresentationContext(id);
    context.setResult(c.result, c.accepted);
    if (c.userRole !== undefined) context.setUserRole(c.userRole);
    if (c.providerRole !== undefined) context.setProviderRole(c.providerRole);
  }
  if (r.asyncOps) {
    a.setNegotiateAsyncOps(true);
    a.setMaxAsyncOpsInvoked(r.asyncOps[0]);
    a.setMaxAsyncOpsPerformed(r.asyncOps[1]);
  }
  if (r.serverResponse !== undefined) {
    a.setNegotiateUserIdentityServerResponse(true);
    a.setUserIdentityServerResponse(r.serverResponse);
  }
  return a;
}

function libraryBytes(r: Recipe): Buffer {
  const socket = new CapturingSocket();
  const scp = new Scp(socket as never);
  (scp as unknown as { association: dimseAssociation.Association }).association = build(r);
  scp.sendAssociationAccept();
  socket.emit('close'); // the library stops its timers
  return Buffer.concat(socket.written);
}

function ourBytes(r: Recipe): Buffer {
  const a = build(r);
  prepareAccept(a);
  return associateAcPdu(a);
}

const uid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 2, maxLength: 9 }).map((parts) => parts.join('.'));
const ae = fc.stringMatching(/^[A-Z0-9_]{1,16}$/);
const recipe: fc.Arbitrary<Recipe> = fc.record(
  {
    calling: ae,
    called: ae,
    maxPdu: fc.integer({ min: 4096, max: 4 * 1024 * 1024 }),
    contexts: fc.array(
      fc.record(
        {
          abstract: uid,
          syntaxes: fc.array(uid, { minLength: 1, maxLength: 4 }),
          result: fc.constantFrom(PresentationContextResult.Accept, PresentationContextResult.RejectAbstractSyntaxNotSupported, PresentationContextResult.RejectTransferSyntaxesNotSupported, PresentationContextResult.RejectUser),
          accepted: uid,
          userRole: fc.boolean(),
          providerRole: fc.boolean(),
        },
        { requiredKeys: ['abstract', 'syntaxes', 'result'] },
      ),
      { minLength: 0, maxLength: 130 },
    ),
    asyncOps: fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })),
    serverResponse: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')),
  },
  { requiredKeys: ['calling', 'called', 'maxPdu', 'contexts'] },
);

describe('A-ASSOCIATE-AC', () => {
  it('is what dcmjs-dimse writes, byte for byte, for any accepted association', () => {
    fc.assert(
      fc.property(recipe, (r) => {
        expect(ourBytes(r).equals(libraryBytes(r))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('answers what storescu proposes (120 storage contexts, one accepted syntax each)', () => {
    const r: Recipe = {
      calling: 'STORESCU',
      called: 'CD8NODE',
      maxPdu: 16384,
      contexts: Array.from({ length: 120 }, (_, i) => ({
        abstract: `1.2.840.10008.5.1.4.1.1.${i}`,
        syntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'],
        result: i % 3 === 0 ? PresentationContextResult.RejectAbstractSyntaxNotSupported : PresentationContextResult.Accept,
        accepted: i % 3 === 0 ? undefined : '1.2.840.10008.1.2.1',
      })),
    };
    const bytes = ourBytes(r);
    expect(bytes.equals(libraryBytes(r))).toBe(true);
    expect(bytes[0]).toBe(0x02);
    expect(bytes.readUInt32BE(2)).toBe(bytes.length - 6);
  });

  it('answers a repeated presentation context ID as the library does (with the first context of that ID)', () => {
    const context = (abstract: string, result: number) => ({ abstract, syntaxes: ['1.2.840.10008.1.2'], result, accepted: '1.2.840.10008.1.2', userRole: true });
    const r: Recipe = {
      calling: 'ODD',
      called: 'CD8NODE',
      maxPdu: 65536,
      ids: [1, 3, 1, 5],
      contexts: [context('1.2.3', PresentationContextResult.Accept), context('1.2.4', PresentationContextResult.RejectUser), context('1.2.5', PresentationContextResult.RejectTransferSyntaxesNotSupported), context('1.2.6', PresentationContextResult.Accept)],
    };
    expect(ourBytes(r).equals(libraryBytes(r))).toBe(true);
  });
});
