import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Plugin } from "graphql-yoga";
import type { DialectDeps } from "./dialect.js";
import { HTTPException } from "hono/http-exception";
import type { DialectStyle } from "./dialect.js";
import { flameupRoutes, style as flameup } from "./flameup.js";
import { gainsightRoutes, style as gainsight } from "./gainsight.js";
import { scripRoutes, style as scrip } from "./scrip.js";
import { shocklogicRoutes, style as shocklogic } from "./shocklogic.js";
import { slashidRoutes, style as slashid } from "./slashid.js";

const STYLES: Record<string, DialectStyle> = { flameup, gainsight, scrip, shocklogic, slashid };

/**
 * The seed systems' REST APIs under /compat/<dialect>, as their pages document them, mapped onto
 * the graph's services (SPEC §9). Routes are declared with their schemas once: the same
 * declarations validate requests and make the OpenAPI 3.1 document at /compat/openapi.json.
 */
export function compatApi(deps: DialectDeps & { maxBodyBytes: number; onUnexpected: (error: unknown) => void }): Plugin {
  const app = new OpenAPIHono().basePath("/compat");
  app.use("*", bodyLimit({ maxSize: deps.maxBodyBytes, onError: () => { throw new HTTPException(413, { message: `Request body over ${deps.maxBodyBytes} bytes.` }); } }));
  gainsightRoutes(app, deps);
  flameupRoutes(app, deps);
  slashidRoutes(app, deps);
  scripRoutes(app, deps);
  shocklogicRoutes(app, deps);
  // Refusals made before a handler runs (malformed JSON, a body over the limit) speak the
  // dialect too; anything unexpected is a 500 without details, like /graphql's.
  app.onError((error, c) => {
    const style = STYLES[c.req.path.split("/")[2] ?? ""];
    const status = error instanceof HTTPException ? error.status : 500;
    if (status === 500) deps.onUnexpected(error);
    const body = style?.error(status, status === 500 ? "Unexpected error." : error.message) ?? { message: error.message };
    return c.json(body, status as 400);
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "participant-graph: the seed APIs", version: "0.2.0", description: "Scrip, Shocklogic, SlashID, Flameup and Gainsight PX, served as their pages document them." },
  });
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname.startsWith("/compat/")) endResponse(await app.fetch(request));
    },
  };
}
