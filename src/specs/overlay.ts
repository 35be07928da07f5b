/**
 * Command specs that a live redis-server 7.0 does not list, hand-written in the generated file's
 * shape (see spec-node.ts): the command table looks here before the generated specs. Sentinel's
 * commands (src/sentinel/) and any command of tsredis's own get their entries here; there are none
 * yet, since every command tsredis serves today is one redis-server lists.
 */
import type { SpecNode } from './spec-node.js';

export const OVERLAY_COMMAND_INFO: Record<string, SpecNode> = {};
export const OVERLAY_COMMAND_DOCS: Record<string, SpecNode> = {};
