import { z } from 'zod';
import { int, seconds } from './values.js';

/** One alert's delivery to one sink. */
export const alertDeliverySchema = z.object({ alertId: int(), sink: z.string(), state: z.string(), attempts: int(), lastError: z.string(), updatedAt: seconds });
export type AlertDeliveryView = z.infer<typeof alertDeliverySchema>;

/** `GET /api/v1/alerts/deliveries`: oldest first. */
export const alertDeliveriesSchema = z.object({ deliveries: z.array(alertDeliverySchema) });
