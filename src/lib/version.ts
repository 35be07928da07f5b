/** The Redis version we are compatible with, reported as redis_version (clients gate features on it). */
export const REDIS_VERSION = '7.0.15';
/** tsredis's own version, reported as tsredis_version in INFO. */
export const TSREDIS_VERSION = '0.1.0';
