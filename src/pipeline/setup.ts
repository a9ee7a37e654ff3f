/** Reads what scoring needs from files (I/O edge): the signature and its radiomics settings. */
import { loadSignatureFile } from '../config/signatureFile';
import { Config } from '../config/schema';
import { loadRadiomicsSettings, RadiomicsSettingsError } from '../radiomics';
import { ScoringSetup } from '../cd8/scoreStudy';
import { VERSION } from '../version';

export class SetupError extends Error {

  override readonly name = 'SetupError';

}

export interface LoadedSetup extends ScoringSetup {
  signaturePath: string;
  radiomicsSettingsPath: string;
  /** Warnings about the signature (e.g. incomplete), for the log. */
  warnings: string[];
}

/** @param signatureFile overrides config.score.signature (e.g. `cd8-node score --signature`). */
export function loadScoringSetup(config: Config, signatureFile?: string): LoadedSetup {
  const loaded = loadSignatureFile(signatureFile ?? config.score.signature);
  const errors = loaded.issues.filter((i) => i.severity === 'error');
  if (!loaded.signature || !loaded.radiomicsSettingsPath || errors.length > 0) {
    throw new SetupError(
      `the signature file cannot be used:\n${errors.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\nRun "cd8-node config check --signature ${loaded.path}" for details.`,
    );
  }
  let radiomics;
  try {
    radiomics = loadRadiomicsSettings(loaded.radiomicsSettingsPath);
  } catch (e) {
    if (e instanceof RadiomicsSettingsError) throw new SetupError(`the signature's radiomics settings cannot be used: ${e.message}`);
    throw e;
  }
  return {
    signature: loaded.signature,
    signaturePath: loaded.path,
    radiomics,
    radiomicsSettingsPath: loaded.radiomicsSettingsPath,
    gates: config.score.gates,
    defaultKvp: config.score.defaultKvp,
    algorithm: { name: 'cd8-node', version: VERSION },
    warnings: loaded.issues.filter((i) => i.severity === 'warning').map((i) => `${i.path}: ${i.message}`),
  };
}
