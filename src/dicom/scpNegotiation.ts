/**
 * Presentation context negotiation, decided by us: for each proposed context, accept it when we
 * store its SOP class (or it is Verification) and it offers a transfer syntax we can decode,
 * choosing the first of OUR preference list that the peer offers. (Letting the peer's last
 * proposal win, as dcmjs-dimse's README loop does, can pick a syntax we cannot decode.)
 * Pure: proposals in, answers out.
 */
import { SopClass, STORAGE_CLASSES, TRANSFER_SYNTAX_PREFERENCE, VERIFICATION_TRANSFER_SYNTAXES } from './uids';

export interface ProposedContext {
  id: number;
  abstractSyntaxUid: string;
  transferSyntaxUids: readonly string[];
}

export type ContextAnswer =
  | { id: number; abstractSyntaxUid: string; result: 'accept'; transferSyntaxUid: string }
  | { id: number; abstractSyntaxUid: string; result: 'abstract-syntax-not-supported' | 'transfer-syntaxes-not-supported' | 'user-rejection' };

function pick(preference: readonly string[], offered: readonly string[]): string | undefined {
  const trimmed = new Set(offered.map((t) => t.replace(/\0+$/, '').trim()));
  return preference.find((t) => trimmed.has(t));
}

/** `verificationOnly`: every context but Verification is refused (user rejection). */
export function negotiateContexts(proposed: readonly ProposedContext[], options: { verificationOnly?: boolean } = {}): ContextAnswer[] {
  return proposed.map((c): ContextAnswer => {
    const abstractSyntaxUid = c.abstractSyntaxUid.replace(/\0+$/, '').trim();
    if (options.verificationOnly && abstractSyntaxUid !== SopClass.Verification) return { id: c.id, abstractSyntaxUid, result: 'user-rejection' };
    const preference =
      abstractSyntaxUid === SopClass.Verification ? VERIFICATION_TRANSFER_SYNTAXES : STORAGE_CLASSES.has(abstractSyntaxUid) ? TRANSFER_SYNTAX_PREFERENCE : undefined;
    if (!preference) return { id: c.id, abstractSyntaxUid, result: 'abstract-syntax-not-supported' };
    const chosen = pick(preference, c.transferSyntaxUids);
    return chosen
      ? { id: c.id, abstractSyntaxUid, result: 'accept', transferSyntaxUid: chosen }
      : { id: c.id, abstractSyntaxUid, result: 'transfer-syntaxes-not-supported' };
  });
}
