import { createHmac, randomBytes } from "node:crypto";

const PREFIX = "whsec_";

/** A new endpoint secret: 24 random bytes, base64, with the Standard Webhooks prefix. */
export const newWebhookSecret = () => PREFIX + randomBytes(24).toString("base64");

/**
 * The Standard Webhooks headers of one message: `webhook-signature` is `v1,` and the base64
 * HMAC-SHA256, keyed with the secret's bytes, of `<id>.<timestamp>.<body>`.
 */
export function signedHeaders(secret: string, id: string, timestamp: Date, body: string): Record<string, string> {
  const seconds = Math.floor(timestamp.getTime() / 1000).toString();
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64");
  const signature = createHmac("sha256", key).update(`${id}.${seconds}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": seconds, "webhook-signature": `v1,${signature}` };
}
