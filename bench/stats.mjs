// Counts the statements a peer server sends to PostgreSQL, by wrapping pg's Client#query before
// the server loads; GET /__stats answers the count, so the runner can divide by requests.
import pg from "pg";

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  statements++;
  return query.apply(this, args);
};

export function statsResponse(req, res) {
  if (req.url !== "/__stats") return false;
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ statements }));
  return true;
}
