import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/guards.js';

export async function adminRoutes(app: FastifyInstance) {
  app.get('/admin', { preHandler: requireRole('admin') }, async (request, reply) => {
    return reply.view('admin/home', { title: 'Administration' });
  });
}
