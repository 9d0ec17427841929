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
