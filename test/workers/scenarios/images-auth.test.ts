import scenario from '../../scenarios/images-auth.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('images-auth', scenario);
