// A subscriber to onMessageStatus through Amplify's own GraphQL client (aws-amplify's generateClient), unmodified.
// Usage: node amplify_subscriber.mjs '<JSON: {endpoint, region, apiKey, authMode, authToken?, query, variables}>'
// Prints one JSON line per message received ({"data": ...} or {"error": ...}); runs until its stdin closes.
import WebSocket from 'ws';
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/api';

// Node 20 has no WebSocket global: Amplify gets ws's. Amplify always opens wss:// to the real-time endpoint;
// the local stack serves plain ws:// on loopback, so this one constructor connects a loopback wss:// URL over ws.
class LoopbackWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(String(url).replace(/^wss:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//, 'ws://$1$2/'), protocols);
  }
}
globalThis.WebSocket = LoopbackWebSocket;

const options = JSON.parse(process.argv[2]);
Amplify.configure({
  API: { GraphQL: { endpoint: options.endpoint, region: options.region, defaultAuthMode: 'apiKey', apiKey: options.apiKey } },
});
const client = generateClient();
const request = { query: options.query, variables: options.variables, authMode: options.authMode };
if (options.authToken) {
  request.authToken = options.authToken;
}
const subscription = client.graphql(request).subscribe({
  next: (message) => console.log(JSON.stringify({ data: message.data })),
  error: (error) => console.log(JSON.stringify({ error })),
});
process.stdin.resume();
process.stdin.on('end', () => {
  subscription.unsubscribe();
  process.exit(0);
});
