import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { InvalidInput } from "../errors.js";

/**
 * A webhook URL is refused unless it is http(s) and every address its host resolves to is a
 * public one: loopback, private, link-local and the like are internal services an API key holder
 * must not reach through us. Delivery checks again at connection time (delivery.ts), so a name
 * that resolves differently later gets no further.
 */
export async function checkWebhookUrl(url: string, allowPrivate: boolean, path = ["input", "url"]): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw InvalidInput.field(path, "Not a URL.");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw InvalidInput.field(path, "Only http and https URLs.");
  if (url.length > 2048) throw InvalidInput.field(path, "At most 2048 characters.");
  if (parsed.username || parsed.password) throw InvalidInput.field(path, "Credentials in the URL are not accepted; sign with the endpoint's secret instead.");
  if (allowPrivate) return parsed.toString();
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const addresses = ipaddr.isValid(host) ? [host] : await lookup(host, { all: true }).then((found) => found.map((a) => a.address), () => []);
  if (addresses.length === 0) throw InvalidInput.field(path, `The host "${host}" does not resolve.`);
  const internal = addresses.find((address) => !isPublic(address));
  if (internal) throw InvalidInput.field(path, `The host resolves to ${internal}, a loopback, private or link-local address.`);
  return parsed.toString();
}

function isPublic(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === "unicast";
}
