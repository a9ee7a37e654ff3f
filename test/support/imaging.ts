import { LesionRules } from '../../src/imaging/lesions';
import { configSchema } from '../../src/config/schema';

/** The lesion rules of the embedded default configuration. */
export const DEFAULT_LESION_RULES: LesionRules = configSchema.parse({}, '', []).lesions;
