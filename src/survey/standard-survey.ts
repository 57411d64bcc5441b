import type { ChoiceOption, LocalizedText, NewQuestion } from '../db/schema.js';
import type { ThemeFields } from '../themes/queries.js';

type QuestionDefinition = Omit<NewQuestion, 'id' | 'surveyId' | 'position'>;

const agreeLow: LocalizedText = { en: 'Strongly disagree', es: 'Muy en desacuerdo' };
const agreeHigh: LocalizedText = { en: 'Strongly agree', es: 'Muy de acuerdo' };
const preferNot: ChoiceOption = { value: 'prefer_not', label: { en: 'Prefer not to say', es: 'Prefiero no decirlo' } };

function agreement010(code: string, dimension: string, en: string, es: string, inTrustScore = false): QuestionDefinition {
  return {
    code,
    kind: 'scale',
    scale: '0-10',
    dimension,
    inTrustScore,
    allowDontKnow: true,
    prompt: { en, es },
    minLabel: { en: '0 – Strongly disagree', es: '0 – Muy en desacuerdo' },
    maxLabel: { en: '10 – Strongly agree', es: '10 – Muy de acuerdo' },
  };
}

function agreement5(code: string, dimension: string, en: string, es: string): QuestionDefinition {
  return { code, kind: 'scale', scale: 'agree5', dimension, allowDontKnow: true, prompt: { en, es }, minLabel: agreeLow, maxLabel: agreeHigh };
}

function demographic(code: string, prompt: LocalizedText, options: [string, string, string][]): QuestionDefinition {
  return {
    code,
    kind: 'choice',
    prompt,
    options: [...options.map(([value, en, es]) => ({ value, label: { en, es } })), preferNot],
  };
}

/**
 * The Community Trust Survey: items from published police-sentiment surveys (Chicago's Police Sentiment Scores for
 * safety, respect and listening; London's Public Attitude Survey for fairness, reliability and responsiveness),
 * so results line up with public data. Trust = respect + listening, as Chicago's TRUST.
 */
export const standardSurvey = {
  slug: 'community-trust',
  title: { en: 'Community Trust Survey', es: 'Encuesta de Confianza Comunitaria' },
  intro: {
    en: 'Tell us how you feel about safety and the police in your neighborhood. It takes about three minutes.',
    es: 'Díganos cómo se siente sobre la seguridad y la policía en su vecindario. Toma unos tres minutos.',
  },
  languages: ['en', 'es'],
  questions: [
    {
      code: 'safety',
      kind: 'scale',
      scale: '0-10',
      dimension: 'safety',
      allowDontKnow: true,
      prompt: {
        en: 'When it comes to the threat of crime, how safe do you feel in your neighborhood?',
        es: 'En cuanto a la amenaza del crimen, ¿qué tan seguro/a se siente en su vecindario?',
      },
      minLabel: { en: '0 – Not safe at all', es: '0 – Nada seguro' },
      maxLabel: { en: '10 – Completely safe', es: '10 – Completamente seguro' },
    },
    agreement010(
      'respect',
      'respect',
      'The police in my neighborhood treat local residents with respect.',
      'La policía de mi vecindario trata a los residentes con respeto.',
      true,
    ),
    agreement010(
      'listening',
      'listening',
      'The police in my neighborhood listen to and take into account the concerns of local residents.',
      'La policía de mi vecindario escucha y toma en cuenta las preocupaciones de los residentes.',
      true,
    ),
    agreement5(
      'fairness',
      'fairness',
      'The police treat everyone fairly regardless of who they are.',
      'La policía trata a todos con justicia, sin importar quiénes sean.',
    ),
    agreement5(
      'reliability',
      'reliability',
      'The police can be relied upon to be there when needed.',
      'Se puede contar con que la policía esté presente cuando se la necesita.',
    ),
    agreement5(
      'responsiveness',
      'responsiveness',
      'The police are dealing with the things that matter to this community.',
      'La policía se ocupa de las cosas que le importan a esta comunidad.',
    ),
    {
      code: 'confidence',
      kind: 'scale',
      scale: '0-10',
      dimension: 'confidence',
      allowDontKnow: true,
      prompt: {
        en: 'How much do you personally trust the police in your neighborhood?',
        es: '¿Cuánto confía usted personalmente en la policía de su vecindario?',
      },
      minLabel: { en: '0 – No trust at all', es: '0 – Ninguna confianza' },
      maxLabel: { en: '10 – Complete trust', es: '10 – Confianza total' },
    },
    {
      code: 'top_issue',
      kind: 'text',
      prompt: {
        en: 'What is the number one issue in your neighborhood that you would like the police to deal with?',
        es: '¿Cuál es el problema número uno de su vecindario que le gustaría que la policía atendiera?',
      },
    },
    demographic('age_band', { en: 'What is your age?', es: '¿Cuál es su edad?' }, [
      ['18_24', '18–24', '18–24'],
      ['25_34', '25–34', '25–34'],
      ['35_44', '35–44', '35–44'],
      ['45_54', '45–54', '45–54'],
      ['55_64', '55–64', '55–64'],
      ['65_plus', '65 or older', '65 o más'],
    ]),
    demographic('gender', { en: 'What is your gender?', es: '¿Cuál es su género?' }, [
      ['woman', 'Woman', 'Mujer'],
      ['man', 'Man', 'Hombre'],
      ['another', 'Non-binary or another gender', 'No binario u otro género'],
    ]),
    demographic('race_ethnicity', { en: 'What is your race or ethnicity?', es: '¿Cuál es su raza u origen étnico?' }, [
      ['black', 'Black or African American', 'Negro o afroamericano'],
      ['hispanic', 'Hispanic or Latino', 'Hispano o latino'],
      ['white', 'White', 'Blanco'],
      ['asian', 'Asian', 'Asiático'],
      ['native', 'American Indian or Alaska Native', 'Indígena americano o nativo de Alaska'],
      ['other', 'Another race, or more than one', 'Otra raza, o más de una'],
    ]),
    demographic('years_in_neighborhood', { en: 'How long have you lived in this neighborhood?', es: '¿Cuánto tiempo lleva viviendo en este vecindario?' }, [
      ['under_1', 'Less than a year', 'Menos de un año'],
      ['1_4', '1 to 4 years', 'De 1 a 4 años'],
      ['5_9', '5 to 9 years', 'De 5 a 9 años'],
      ['10_plus', '10 years or more', '10 años o más'],
    ]),
  ] satisfies QuestionDefinition[],
};

/**
 * Themes the "number one issue" answers are counted into, with keywords in both languages (plurals, accents and
 * capitals are folded, so "drug" also finds "Drugs"). Admins change them under the survey's themes page.
 */
export const standardThemes: ThemeFields[] = [
  {
    code: 'drugs',
    label: { en: 'Drug dealing', es: 'Venta de drogas' },
    keywords: {
      en: ['drug', 'drug dealing', 'dealer', 'narcotics', 'fentanyl', 'heroin', 'meth', 'opioid', 'overdose', 'needle'],
      es: ['droga', 'venta de drogas', 'narco', 'narcotráfico', 'narcomenudeo', 'fentanilo', 'heroína', 'sobredosis', 'jeringa'],
    },
  },
  {
    code: 'traffic',
    label: { en: 'Speeding, traffic and parking', es: 'Exceso de velocidad, tráfico y estacionamiento' },
    keywords: {
      en: [
        'speeding',
        'speed',
        'speeder',
        'traffic',
        'racing',
        'reckless driving',
        'drunk driving',
        'red light',
        'stop sign',
        'hit and run',
        'crosswalk',
        'parking',
      ],
      es: ['velocidad', 'exceso de velocidad', 'tráfico', 'tránsito', 'carreras', 'arrancones', 'manejan rápido', 'semáforo', 'estacionamiento', 'choques'],
    },
  },
  {
    code: 'guns',
    label: { en: 'Gun violence', es: 'Armas y balaceras' },
    keywords: {
      en: ['gun', 'gunfire', 'gunshot', 'shooting', 'shots fired', 'firearm'],
      es: ['arma', 'armas de fuego', 'balacera', 'balazo', 'disparo', 'tiroteo', 'pistola'],
    },
  },
  {
    code: 'theft',
    label: { en: 'Break-ins and theft', es: 'Robos' },
    keywords: {
      en: [
        'break-in',
        'breaking in',
        'burglary',
        'theft',
        'thief',
        'thieves',
        'stolen',
        'stealing',
        'robbery',
        'robbed',
        'catalytic converter',
        'porch pirate',
      ],
      es: ['robo', 'robar', 'roban', 'ladrón', 'hurto', 'asalto', 'allanamiento'],
    },
  },
  {
    code: 'homelessness',
    label: { en: 'Homelessness', es: 'Personas sin hogar' },
    keywords: {
      en: ['homeless', 'homelessness', 'encampment', 'unhoused', 'panhandling', 'tent'],
      es: ['sin hogar', 'sin techo', 'indigente', 'indigencia', 'situación de calle', 'campamento', 'vagabundo'],
    },
  },
  {
    code: 'noise',
    label: { en: 'Noise', es: 'Ruido' },
    keywords: { en: ['noise', 'noisy', 'loud', 'fireworks', 'parties'], es: ['ruido', 'ruidoso', 'música alta', 'fiesta', 'cohete'] },
  },
  {
    code: 'response_times',
    label: { en: 'Police response times', es: 'Tiempo de respuesta de la policía' },
    keywords: {
      en: ['response time', 'slow response', 'slow to respond', 'never come', 'show up', 'take forever', 'takes hours', 'waiting', '911'],
      es: ['tiempo de respuesta', 'tarda', 'tardan', 'tardaron', 'no llegan', 'nunca llegan', 'no vienen', 'nunca vienen', '911'],
    },
  },
  {
    code: 'youth',
    label: { en: 'Youth', es: 'Jóvenes' },
    keywords: {
      en: ['youth', 'young people', 'kids', 'teens', 'teenagers', 'juveniles', 'children'],
      es: ['jóvenes', 'joven', 'niños', 'adolescentes', 'chavos', 'muchachos', 'menores'],
    },
  },
  {
    code: 'gangs',
    label: { en: 'Gangs', es: 'Pandillas' },
    keywords: { en: ['gang'], es: ['pandilla', 'pandillero', 'mara'] },
  },
  {
    code: 'patrols',
    label: { en: 'More patrols and presence', es: 'Más patrullaje y presencia' },
    keywords: {
      en: ['patrol', 'patrolling', 'presence', 'visibility', 'more officers', 'beat cop'],
      es: ['patrulla', 'patrullaje', 'presencia', 'rondines', 'vigilancia'],
    },
  },
  {
    code: 'treatment',
    label: { en: 'How police treat people', es: 'Trato de la policía' },
    keywords: {
      en: ['respect', 'disrespect', 'treat', 'treated', 'profiling', 'harassment', 'harass', 'excessive force', 'brutality', 'abuse', 'racism'],
      es: ['respeto', 'trato', 'tratan', 'acoso', 'abuso', 'discriminación', 'perfil racial', 'brutalidad', 'racismo'],
    },
  },
];
