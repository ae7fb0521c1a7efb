import scenario from '../../scenarios/images-fetch.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('images-fetch', scenario);
