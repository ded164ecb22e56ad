// @rails/actioncable's consumer, bundled as an app would bundle it: the page
// gets createConsumer and the adapters (where the app names its WebSocket).
import { adapters, createConsumer } from '@rails/actioncable';

window.ActionCable = { adapters, createConsumer };
