/** The training process JobRunner forks: a retrain served with the bot's pieces (training.ts). */
import { serveRetrainJob } from '../training/jobs/child';
import { trainingServices } from './training';

serveRetrainJob(trainingServices);
