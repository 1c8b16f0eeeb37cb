import { randomUUID } from "node:crypto";

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const requestIds = new WeakMap<Request, string>();

/** The caller's id if it is safe to echo, else a fresh one; also sent back as X-Request-Id. */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (!id) {
    const incoming = request.headers.get("x-request-id");
    id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/** A copy of a request (the gate's, with its body buffered) keeps the original's id. */
export function carryRequestId(from: Request, to: Request): void {
  requestIds.set(to, requestIdOf(from));
}
