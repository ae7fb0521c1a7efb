import scenario from '../../scenarios/images-list.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('images-list', scenario);
