import type { NestExpressApplication } from '@nestjs/platform-express';
import * as path from 'node:path';

/** The dashboard's static files (plain HTML/CSS/JS, no bundler), beside `src` and `dist`. */
export const DASHBOARD_DIR = path.join(__dirname, '..', '..', 'public');

/** uPlot's dist folder in node_modules, served as is (no CDN: sites may have no internet). */
function uplotDist(): string {
  return path.dirname(require.resolve('uplot'));
}

/**
 * Serves the lead's dashboard at `/` and uPlot at `/vendor/uplot/`. The socket.io client comes
 * from the socket.io server itself (`/socket.io/socket.io.min.js`). The page holds no data: it
 * calls the REST API with the admin token the lead types in (kept in sessionStorage).
 *
 * @example mountDashboard(app); // before app.listen
 */
export function mountDashboard(app: NestExpressApplication): void {
  app.useStaticAssets(uplotDist(), { prefix: '/vendor/uplot/', index: false });
  app.useStaticAssets(DASHBOARD_DIR, { index: 'index.html' });
}
