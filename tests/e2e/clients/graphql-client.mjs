// The GraphQL clients of the browser tests, bundled as an app would bundle
// them: graphql-ws's createClient and subscriptions-transport-ws's
// SubscriptionClient, as globals of the page.
import { createClient } from 'graphql-ws/client';
import { SubscriptionClient } from 'subscriptions-transport-ws';

window.createClient = createClient;
window.SubscriptionClient = SubscriptionClient;
