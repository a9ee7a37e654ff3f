/**
 * Who may open an association with us: the called AE title must be ours, the calling AE title
 * (and, for "AET@host" entries, the peer's address) must be in dicom.allowedCallers, no more than
 * dicom.maxAssociations may be open at once, nor dicom.maxAssociationsPerHost from one address.
 * Our own AE title from this machine (`cd8-node echo` there calls with it: a self-check) is let
 * in unlisted for Verification only: its association accepts no storage context. Each refusal carries the A-ASSOCIATE-RJ
 * result/source/reason the standard prescribes (PS3.8 §9.3.4) and a sentence for the admin.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseCallerSpec, parsePinnedSubject } from '../config/aeTitle';
import type { TlsPeer } from './scpTls';
import { isLoopback, normaliseAddress } from '../ops/ipAddress';

export const RejectResult = { Permanent: 1, Transient: 2 } as const;
export const RejectSource = { ServiceUser: 1, ServiceProviderAcse: 2, ServiceProviderPresentation: 3 } as const;
export const RejectReason = {
  NoReasonGiven: 1,
  CallingAeNotRecognized: 3,
  CalledAeNotRecognized: 7,
  /** With source ServiceProviderPresentation. */
  TemporaryCongestion: 1,
  /** With source ServiceProviderPresentation. */
  LocalLimitExceeded: 2,
} as const;

/** A refusal the peer should retry later: the node cannot keep what it would receive now (e.g. its database is unreachable). */
export function temporarilyUnavailable(why: string): AssociationDecision {
  return {
    accept: false,
    result: RejectResult.Transient,
    source: RejectSource.ServiceProviderPresentation,
    reason: RejectReason.TemporaryCongestion,
    label: 'temporary-congestion',
    why: `${why}; the peer should retry later.`,
  };
}

export interface AssociationRequestFacts {
  calledAeTitle: string;
  callingAeTitle: string;
  remoteAddress: string;
  /** Associations already established (this one not counted). */
  activeAssociations: number;
  /** Associations already established from the same address. */
  activeFromHost: number;
  /** Set when the association came over TLS. */
  tls?: TlsPeer;
}

export type AssociationDecision =
  /** `verificationOnly`: the node's own AE title from this machine, not listed: C-ECHO only. */
  | { accept: true; verificationOnly?: true }
  | { accept: false; result: number; source: number; reason: number; label: string; why: string };

export interface PolicySettings {
  aeTitle: string;
  allowedCallers: readonly string[];
  maxAssociations: number;
  /** Associations from one address (at most maxAssociations). */
  maxAssociationsPerHost: number;
  /** "AET: CN=...,O=..." entries: the client certificate subject each of these callers must present. */
  tls?: { pinnedSubjects: readonly string[] };
}

export type HostResolver = (host: string) => Promise<string[]>;

const RESOLVE_CACHE_MS = 60_000;


const defaultResolver: HostResolver = async (host) => (await lookup(host, { all: true })).map((a) => normaliseAddress(a.address));

export class AssociationPolicy {
  private readonly anyCaller: boolean;
  private readonly callers: Array<{ aeTitle: string; host?: string }>;
  private readonly resolved = new Map<string, { addresses: string[]; at: number }>();
  private readonly pins = new Map<string, string[]>();

  constructor(
    private readonly settings: PolicySettings,
    private readonly resolve: HostResolver = defaultResolver,
    private readonly onResolveError: (host: string, error: Error) => void = () => undefined,
  ) {
    this.anyCaller = settings.allowedCallers.includes('*');
    this.callers = settings.allowedCallers.filter((c) => c !== '*').map(parseCallerSpec);
    for (const spec of settings.tls?.pinnedSubjects ?? []) {
      const pin = parsePinnedSubject(spec);
      this.pins.set(pin.aeTitle, pin.attributes);
    }
  }

  async decide(facts: AssociationRequestFacts): Promise<AssociationDecision> {
    const called = facts.calledAeTitle.trim();
    const calling = facts.callingAeTitle.trim();
    if (called !== this.settings.aeTitle.trim()) {
      const hint = called.toUpperCase() === this.settings.aeTitle.trim().toUpperCase() ? ' (AE titles are case-sensitive)' : '';
      return {
        accept: false,
        result: RejectResult.Permanent,
        source: RejectSource.ServiceUser,
        reason: RejectReason.CalledAeNotRecognized,
        label: 'called-AE-title-not-recognized',
        why: `the peer called AE title "${called}", but this node is "${this.settings.aeTitle}"${hint}; configure the peer with our AE title.`,
      };
    }
    const address = normaliseAddress(facts.remoteAddress);
    const listed = this.anyCaller || (await this.callerAllowed(calling, address));
    // The node's own title from this machine (`cd8-node echo` run there) may verify, nothing more.
    const self = !listed && calling === this.settings.aeTitle.trim() && isLoopback(address);
    if (!listed && !self) {
      const sameTitle = this.callers.filter((c) => c.aeTitle === calling);
      const why =
        sameTitle.length > 0
          ? `calling AE title "${calling}" is allowed only from ${sameTitle.map((c) => c.host).join(', ')}, not from ${normaliseAddress(facts.remoteAddress)}; add "${calling}@${normaliseAddress(facts.remoteAddress)}" to dicom.allowedCallers if this peer is legitimate.`
          : `calling AE title "${calling}" is not in dicom.allowedCallers; add it there if this peer is legitimate.`;
      return {
        accept: false,
        result: RejectResult.Permanent,
        source: RejectSource.ServiceUser,
        reason: RejectReason.CallingAeNotRecognized,
        label: 'calling-AE-title-not-recognized',
        why,
      };
    }
    const pin = this.pins.get(calling);
    if (pin) {
      const subject = facts.tls?.authorized ? facts.tls.subject : undefined;
      const why = !facts.tls
        ? `calling AE title "${calling}" is pinned to a client certificate (dicom.tls.pinnedSubjects) but called over plain TCP; it must call over TLS on dicom.tls.port.`
        : subject === undefined
          ? `calling AE title "${calling}" is pinned to a client certificate (dicom.tls.pinnedSubjects) but presented no verified one.`
          : pin.every((a) => subject.includes(a))
            ? undefined
            : `calling AE title "${calling}" presented a client certificate for "${subject.join(', ')}", not the pinned "${pin.join(', ')}" (dicom.tls.pinnedSubjects); fix the pin or the caller's certificate.`;
      if (why) {
        return { accept: false, result: RejectResult.Permanent, source: RejectSource.ServiceUser, reason: RejectReason.CallingAeNotRecognized, label: 'calling-AE-title-not-recognized', why };
      }
    }
    const limit = this.checkLimit(facts.activeAssociations, facts.activeFromHost, address);
    return limit.accept && self ? { accept: true, verificationOnly: true } : limit;
  }

  /** The association limits alone (synchronous: callers check them again right before accepting). */
  checkLimit(activeAssociations: number, activeFromHost: number, address: string): AssociationDecision {
    const perHost = Math.min(this.settings.maxAssociationsPerHost, this.settings.maxAssociations);
    const busy = (why: string): AssociationDecision => ({
      accept: false,
      result: RejectResult.Transient,
      source: RejectSource.ServiceProviderPresentation,
      reason: RejectReason.LocalLimitExceeded,
      label: 'local-limit-exceeded',
      why,
    });
    if (activeAssociations >= this.settings.maxAssociations) {
      return busy(`${activeAssociations} associations are open, the limit dicom.maxAssociations (${this.settings.maxAssociations}); the peer should retry later.`);
    }
    if (activeFromHost >= perHost) {
      return busy(`${activeFromHost} associations from ${address} are open, the limit per host dicom.maxAssociationsPerHost (${perHost}); the peer should retry later, or raise the limit if this host needs more.`);
    }
    return { accept: true };
  }

  private async callerAllowed(calling: string, address: string): Promise<boolean> {
    for (const c of this.callers) {
      if (c.aeTitle !== calling) continue;
      if (c.host === undefined) return true;
      if ((await this.addressesOf(c.host)).includes(address)) return true;
    }
    return false;
  }

  private async addressesOf(host: string): Promise<string[]> {
    if (isIP(host)) return [normaliseAddress(host)];
    const cached = this.resolved.get(host);
    if (cached && Date.now() - cached.at < RESOLVE_CACHE_MS) return cached.addresses;
    try {
      const addresses = await this.resolve(host);
      this.resolved.set(host, { addresses, at: Date.now() });
      return addresses;
    } catch (e) {
      this.onResolveError(host, e as Error);
      return [];
    }
  }
}
