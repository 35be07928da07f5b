/** Error texts both the server's checks and the commands give. */

/** Redis's shared.oomerr: over maxmemory (or, in tsredis, at the heap's ceiling). */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";
