/** What the operator API accepts: every action names who acts and why (a reason is required). */
import { z } from 'zod';
import { idSchema } from '../api/schemas';

export const actorSchema = z
  .string({ error: 'must name who acts (1-128 characters)' })
  .trim()
  .min(1)
  .max(128)
  .refine((text) => ![...text].some((c) => (c.codePointAt(0) ?? 0) < 0x20), {
    error: 'must not hold control characters',
  });

export const reasonSchema = z
  .string({ error: 'a reason is required' })
  .trim()
  .min(3, { error: 'a reason is required (at least 3 characters)' })
  .max(500);

export const redriveBodySchema = z.strictObject({
  actor: actorSchema,
  reason: reasonSchema,
  max_messages: z.number().int().min(1).max(1000).optional(),
  message_ids: z.array(z.string().min(1).max(128)).min(1).max(100).optional(),
});
export type RedriveBody = z.infer<typeof redriveBodySchema>;

export const replayBodySchema = z.strictObject({ actor: actorSchema, reason: reasonSchema });
export type ReplayBody = z.infer<typeof replayBodySchema>;

export const limitSchema = z.coerce.number().int().min(1).max(200).optional();
export const orderStatusFilterSchema = z
  .enum(['NOT_STARTED', 'EXECUTING', 'PENDING', 'SUCCESS', 'FAILED'])
  .optional();
export const queueIdSchema = z.string().regex(/^[a-z0-9-]{1,80}$/);
export const eventIdSchema = idSchema;

/** `{kind}:{subject_type}:{subject_id}` (lambdas/attention/store.ts attentionId). */
export const attentionIdSchema = z.string().regex(/^[a-z_]{1,64}:[a-z_]{1,64}:[A-Za-z0-9_.:@+#-]{1,200}$/, {
  error: 'must be an attention id: {kind}:{subject_type}:{subject_id}',
});
export const attentionStatusSchema = z
  .preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : v),
    z.enum(['OPEN', 'RESOLVED'], { error: 'must be open or resolved' }),
  )
  .optional();
export const resolveAttentionBodySchema = z.strictObject({ actor: actorSchema, reason: reasonSchema });
export type ResolveAttentionBody = z.infer<typeof resolveAttentionBodySchema>;

/** A reconciliation day, UTC: `YYYY-MM-DD`, a real date. */
export const daySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a day: YYYY-MM-DD' })
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    {
      error: 'must be a real day',
    },
  );
/** `{class}:{reference}` (lambdas/reconciliation/reconcile.ts): no control characters, no slashes. */
export const breakIdSchema = z
  .string()
  .max(240)
  .regex(/^[a-z_]{1,40}:[^/\\]{1,200}$/, { error: 'must be a break id: {class}:{reference}' })
  .refine((text) => ![...text].some((c) => (c.codePointAt(0) ?? 0) < 0x20), {
    error: 'must not hold control characters',
  });

export const resolveBreakBodySchema = z
  .strictObject({
    actor: actorSchema,
    reason: reasonSchema,
    action: z.enum(['accept', 'link', 'write_off'], { error: 'must be accept, link or write_off' }),
    /** link: the payment order the row belongs to. */
    payment_order_id: idSchema.optional(),
    /** link, a refund, dispute or transfer row: our refund, dispute or payout id. */
    record_id: idSchema.optional(),
    /** write_off: how much, a decimal string in the break's currency. */
    amount: z.string().max(40).optional(),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, { error: 'must be an ISO 4217 code' })
      .optional(),
  })
  .refine((b) => b.action !== 'link' || b.payment_order_id !== undefined || b.record_id !== undefined, {
    error: 'link needs payment_order_id (a charge row) or record_id (a refund, dispute or transfer row)',
    path: ['payment_order_id'],
  })
  .refine((b) => b.action !== 'write_off' || (b.amount !== undefined && b.currency !== undefined), {
    error: 'write_off needs amount and currency',
    path: ['amount'],
  });
export type ResolveBreakBody = z.infer<typeof resolveBreakBodySchema>;

export const pauseBodySchema = z.strictObject({ actor: actorSchema, reason: reasonSchema });
export type PauseBody = z.infer<typeof pauseBodySchema>;
