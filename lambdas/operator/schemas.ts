/**
 * What the operator API accepts: every action names who acts and why (a reason is required). `zod/mini`
 * schemas, as in lambdas/api/schemas.ts (the operator functions load no full zod); the OpenAPI document reads
 * them too.
 */
import * as z from 'zod/mini';
import '../shared/zod-english';
import { idSchema } from '../api/schemas';

const noControlCharacters = (text: string) => ![...text].some((c) => (c.codePointAt(0) ?? 0) < 0x20);

export const actorSchema = z
  .string({ error: 'must name who acts (1-128 characters)' })
  .check(
    z.trim(),
    z.minLength(1),
    z.maxLength(128),
    z.refine(noControlCharacters, { error: 'must not hold control characters' }),
  );

export const reasonSchema = z
  .string({ error: 'a reason is required' })
  .check(
    z.trim(),
    z.minLength(3, { error: 'a reason is required (at least 3 characters)' }),
    z.maxLength(500),
  );

export const redriveBodySchema = z.strictObject({
  actor: actorSchema,
  reason: reasonSchema,
  max_messages: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(1000))),
  message_ids: z.optional(
    z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.minLength(1), z.maxLength(100)),
  ),
});
export type RedriveBody = z.infer<typeof redriveBodySchema>;

export const replayBodySchema = z.strictObject({ actor: actorSchema, reason: reasonSchema });
export type ReplayBody = z.infer<typeof replayBodySchema>;

export const limitSchema = z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(200)));
export const orderStatusFilterSchema = z.optional(
  z.enum(['NOT_STARTED', 'EXECUTING', 'PENDING', 'SUCCESS', 'FAILED']),
);
export const queueIdSchema = z.string().check(z.regex(/^[a-z0-9-]{1,80}$/));
export const eventIdSchema = idSchema;

/** `{kind}:{subject_type}:{subject_id}` (lambdas/attention/store.ts attentionId). */
export const attentionIdSchema = z.string().check(
  z.regex(/^[a-z_]{1,64}:[a-z_]{1,64}:[A-Za-z0-9_.:@+#-]{1,200}$/, {
    error: 'must be an attention id: {kind}:{subject_type}:{subject_id}',
  }),
);
/** `open` or `resolved`, in any case (upper-cased before it is checked, as `z.preprocess` would). */
export const attentionStatusSchema = z.optional(
  z.pipe(
    z.transform((v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v)),
    z.enum(['OPEN', 'RESOLVED'], { error: 'must be open or resolved' }),
  ),
);
export const resolveAttentionBodySchema = z.strictObject({ actor: actorSchema, reason: reasonSchema });
export type ResolveAttentionBody = z.infer<typeof resolveAttentionBodySchema>;

/** A reconciliation day, UTC: `YYYY-MM-DD`, a real date. */
export const daySchema = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a day: YYYY-MM-DD' }),
  z.refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    { error: 'must be a real day' },
  ),
);
/** `{class}:{reference}` (lambdas/reconciliation/reconcile.ts): no control characters, no slashes. */
export const breakIdSchema = z
  .string()
  .check(
    z.maxLength(240),
    z.regex(/^[a-z_]{1,40}:[^/\\]{1,200}$/, { error: 'must be a break id: {class}:{reference}' }),
    z.refine(noControlCharacters, { error: 'must not hold control characters' }),
  );

export const resolveBreakBodySchema = z
  .strictObject({
    actor: actorSchema,
    reason: reasonSchema,
    action: z.enum(['accept', 'link', 'write_off'], { error: 'must be accept, link or write_off' }),
    /** link: the payment order the row belongs to. */
    payment_order_id: z.optional(idSchema),
    /** link, a refund, dispute or transfer row: our refund, dispute or payout id. */
    record_id: z.optional(idSchema),
    /** write_off: how much, a decimal string in the break's currency. */
    amount: z.optional(z.string().check(z.maxLength(40))),
    currency: z.optional(z.string().check(z.regex(/^[A-Za-z]{3}$/, { error: 'must be an ISO 4217 code' }))),
  })
  .check(
    z.refine((b) => b.action !== 'link' || b.payment_order_id !== undefined || b.record_id !== undefined, {
      error: 'link needs payment_order_id (a charge row) or record_id (a refund, dispute or transfer row)',
      path: ['payment_order_id'],
    }),
    z.refine((b) => b.action !== 'write_off' || (b.amount !== undefined && b.currency !== undefined), {
      error: 'write_off needs amount and currency',
      path: ['amount'],
    }),
  );
export type ResolveBreakBody = z.infer<typeof resolveBreakBodySchema>;

export const pauseBodySchema = z.strictObject({ actor: actorSchema, reason: reasonSchema });
export type PauseBody = z.infer<typeof pauseBodySchema>;
