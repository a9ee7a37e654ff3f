/**
 * A rehearsal time limit (seconds) no machine reaches. On a loaded machine a cold analysis can pass
 * the node's 3 s limit (REHEARSE_MAX_SECONDS); only the test of that limit should depend on it.
 */
export const UNHURRIED_REHEARSAL_S = 60;
