/** The release of Novation this code is; kept equal to package.json's version by a unit test. */
export const NOVATION_VERSION = '0.1.0';
