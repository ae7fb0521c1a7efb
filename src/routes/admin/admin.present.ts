import type { StorageListing } from '../../services/usage';
import { presentStorage } from '../usage/usage.present';

export { presentReport, presentStorage } from '../usage/usage.present';

/** One user's line in the operators' storage list. */
export const presentUserStorage = (i: StorageListing['items'][number]) => ({
  user_id: i.userId,
  email: i.email,
  storage: presentStorage(i.storage),
});
