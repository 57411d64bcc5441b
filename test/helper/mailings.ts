import { inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Person } from './responses.js';

/** A mailing of the standard survey to one neighborhood, stored directly (the mailing pages are another feature's). */
export async function addMailing(app: FastifyInstance, neighborhoodId: number, mailedOn = '2026-01-05'): Promise<number> {
  const { survey } = (await app.surveys.findWithQuestions('community-trust'))!;
  const { mailings } = app.store.tables;
  const [row] = await app.store.transaction((tx) =>
    tx
      .insert(mailings)
      .values({ surveyId: survey.id, neighborhoodId, name: `Mailing ${neighborhoodId} ${mailedOn}`, invitations: 1000, mailedOn, closesOn: '2026-12-31' })
      .returning({ id: mailings.id }),
  );
  return row.id;
}

/**
 * Respondents with known trust answers who came through an invitation of `mailingId`, stored through the real recorder
 * (scores, rollups) with the response's mailing set in the same transaction; returns their ids.
 */
export async function submitInvited(
  app: FastifyInstance,
  mailingId: number,
  neighborhoodId: number,
  day: string,
  people: readonly Person[],
): Promise<number[]> {
  const found = (await app.surveys.findWithQuestions('community-trust'))!;
  const id = (code: string) => found.questions.find((q) => q.code === code)!.id;
  const { responses } = app.store.tables;
  return app.surveys.recordInTransaction(found.survey.id, found.questions, async (record, tx) => {
    const { ids } = await record(
      people.map((p) => ({
        surveyId: found.survey.id,
        neighborhoodId,
        submittedOn: day,
        channel: 'web' as const,
        language: 'en',
        answers: [
          { questionId: id('respect'), valueNumber: p.respect, valueText: null },
          { questionId: id('listening'), valueNumber: p.listening, valueText: null },
        ],
      })),
    );
    await tx.update(responses).set({ mailingId }).where(inArray(responses.id, ids));
    return ids;
  });
}
