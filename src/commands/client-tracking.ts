/** CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO, as Redis 7.0's networking.c parses them. */
import type { CommandContext, CommandFamily, TrackingOptions } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { is } from './args.js';
import { ERR } from './replies.js';

/** stringCheckPrefix: one is a prefix of the other. */
function overlap(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) === b.slice(0, n);
}

/** checkPrefixCollisionsOrReply. */
function prefixesCollide(ctx: CommandContext, prefixes: string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) {
    for (const existing of ctx.tracking.prefixes) {
      if (overlap(existing, prefixes[i])) {
        ctx.reply.error(
          `ERR Prefix '${prefixes[i]}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`,
        );
        return true;
      }
    }
    for (let j = i + 1; j < prefixes.length; j++) {
      if (overlap(prefixes[i], prefixes[j])) {
        ctx.reply.error(
          `ERR Prefix '${prefixes[i]}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`,
        );
        return true;
      }
    }
  }
  return false;
}

function tracking(ctx: CommandContext, argv: string[]): void {
  const o: TrackingOptions = {
    redirect: 0,
    bcast: false,
    optin: false,
    optout: false,
    noloop: false,
    prefixes: [],
  };
  let redirectGiven = false;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j > 0;
    const a = argv[j];
    if (is(a, 'redirect') && more) {
      j++;
      if (redirectGiven && o.redirect !== 0) {
        ctx.reply.error('ERR A client can only redirect to a single other client');
        return;
      }
      const id = parseInt64(argv[j]);
      if (id === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (!ctx.server.tracking.clientExists(Number(id))) {
        ctx.reply.error('ERR The client ID you want redirect to does not exist');
        return;
      }
      o.redirect = Number(id);
      redirectGiven = true;
    } else if (is(a, 'bcast')) o.bcast = true;
    else if (is(a, 'optin')) o.optin = true;
    else if (is(a, 'optout')) o.optout = true;
    else if (is(a, 'noloop')) o.noloop = true;
    else if (is(a, 'prefix') && more) o.prefixes.push(argv[++j]);
    else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const t = ctx.tracking;
  if (is(argv[2], 'on')) {
    let error: string | null = null;
    if (!o.bcast && o.prefixes.length > 0) error = 'PREFIX option requires BCAST mode to be enabled';
    else if (t.on && t.bcast !== o.bcast)
      error =
        "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.";
    else if (o.bcast && (o.optin || o.optout)) error = 'OPTIN and OPTOUT are not compatible with BCAST';
    else if (o.optin && o.optout) error = "You can't specify both OPTIN mode and OPTOUT mode";
    else if ((o.optin && t.optout) || (o.optout && t.optin))
      error =
        "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.";
    if (error !== null) {
      ctx.reply.error(`ERR ${error}`);
      return;
    }
    if (o.bcast && prefixesCollide(ctx, o.prefixes)) return;
    ctx.server.tracking.enable(ctx, o);
  } else if (is(argv[2], 'off')) {
    ctx.server.tracking.disable(ctx);
  } else {
    ctx.reply.error(ERR.syntax);
    return;
  }
  ctx.reply.ok();
}

function caching(ctx: CommandContext, argv: string[]): void {
  const t = ctx.tracking;
  if (!t.on) {
    ctx.reply.error(
      'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
    );
    return;
  }
  if (is(argv[2], 'yes')) {
    if (!t.optin) {
      ctx.reply.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
      return;
    }
  } else if (is(argv[2], 'no')) {
    if (!t.optout) {
      ctx.reply.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
      return;
    }
  } else {
    ctx.reply.error(ERR.syntax);
    return;
  }
  t.caching = true;
  ctx.reply.ok();
}

function getredir(ctx: CommandContext): void {
  ctx.reply.integer(ctx.tracking.on ? ctx.tracking.redirect : -1);
}

function trackinginfo(ctx: CommandContext): void {
  const t = ctx.tracking;
  const flags = [t.on ? 'on' : 'off'];
  if (t.bcast) flags.push('bcast');
  if (t.optin) flags.push('optin');
  if (t.optin && t.caching) flags.push('caching-yes');
  if (t.optout) flags.push('optout');
  if (t.optout && t.caching) flags.push('caching-no');
  if (t.noloop) flags.push('noloop');
  if (t.brokenRedirect) flags.push('broken_redirect');
  const r = ctx.reply;
  r.map(3);
  r.bulk('flags');
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('redirect');
  r.integer(t.on ? t.redirect : -1);
  r.bulk('prefixes');
  r.array(t.prefixes.length);
  for (const p of t.prefixes) r.bulk(p);
}

export const clientTrackingCommands: CommandFamily = {
  'client|tracking': tracking,
  'client|caching': caching,
  'client|getredir': getredir,
  'client|trackinginfo': trackinginfo,
};
