/** Version of this build, shown in logs, the SR's device observer and the HL7 MSH. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../package.json') as { version: string }).version;
