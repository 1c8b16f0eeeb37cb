// Used only by the Prisma CLI (client generation, and `prisma migrate deploy` for those who have
// its schema engine). The application applies migrations itself: see src/db/migrate.ts.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/participant_graph" },
});
