/**
 * Deterministic sample data for the bundled example logic modules.
 *
 * The four record sets relate to one another the way the gateway's joins expect: every order
 * points at an existing customer and product, every document at an existing customer. Same
 * counts in, same data out (seeded PRNG), so tests and benchmarks can assert exact answers.
 */

export type CustomerTier = 'bronze' | 'silver' | 'gold';
export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'cancelled';

export interface Customer {
  id: number;
  name: string;
  email: string;
  tier: CustomerTier;
}

export interface Product {
  id: number;
  name: string;
  /** Unit price, two decimals. */
  price: number;
}

export interface Order {
  id: number;
  customerId: number;
  productId: number;
  quantity: number;
  /** `quantity * product.price`, rounded to cents. */
  total: number;
  status: OrderStatus;
}

export interface Document {
  id: number;
  customerId: number;
  title: string;
}

export interface ExampleData {
  customers: Customer[];
  products: Product[];
  orders: Order[];
  documents: Document[];
}

/** How many records of each kind to generate. Each count defaults to the value shown. */
export interface ExampleDataCounts {
  /** Default 20. */
  customers?: number;
  /** Default 10. */
  products?: number;
  /** Default 100: with 20 customers, each customer has 5 orders. */
  orders?: number;
  /** Default 40: with 20 customers, each customer has 2 documents. */
  documents?: number;
  /** PRNG seed. Default 42. */
  seed?: number;
}

export const DEFAULT_EXAMPLE_COUNTS = {
  customers: 20,
  products: 10,
  orders: 100,
  documents: 40,
} as const;

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton'];
const TIERS: readonly CustomerTier[] = ['bronze', 'silver', 'gold'];
const STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'shipped', 'cancelled'];
const ADJECTIVES = ['Red', 'Quiet', 'Rapid', 'Small', 'Golden', 'Sturdy', 'Bright', 'Folding'];
const NOUNS = ['Widget', 'Lamp', 'Chair', 'Kettle', 'Notebook', 'Backpack', 'Clock', 'Mug'];
const DOCUMENT_KINDS = ['Contract', 'Invoice', 'Delivery note', 'Warranty', 'Quote'];

/** mulberry32: tiny, fast, good enough for sample data, and the same on every platform. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick() from an empty list');
  return item;
}

function count(name: keyof typeof DEFAULT_EXAMPLE_COUNTS, given: number | undefined): number {
  const value = given ?? DEFAULT_EXAMPLE_COUNTS[name];
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`makeExampleData: ${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

const cents = (value: number): number => Math.round(value * 100) / 100;

/** Generates related sample data; see {@link ExampleDataCounts} for the defaults. */
export function makeExampleData(counts: ExampleDataCounts = {}): ExampleData {
  const customerCount = count('customers', counts.customers);
  const productCount = count('products', counts.products);
  const orderCount = count('orders', counts.orders);
  const documentCount = count('documents', counts.documents);
  if ((orderCount > 0 || documentCount > 0) && customerCount === 0) {
    throw new RangeError('makeExampleData: orders and documents need at least one customer');
  }
  if (orderCount > 0 && productCount === 0) {
    throw new RangeError('makeExampleData: orders need at least one product');
  }
  const random = createRandom(counts.seed ?? 42);

  const customers: Customer[] = [];
  for (let id = 1; id <= customerCount; id++) {
    const first = pick(FIRST_NAMES, random);
    const last = pick(LAST_NAMES, random);
    customers.push({
      id,
      name: `${first} ${last}`,
      email: `${first}.${last}.${id}@example.com`.toLowerCase(),
      tier: pick(TIERS, random),
    });
  }

  const products: Product[] = [];
  for (let id = 1; id <= productCount; id++) {
    products.push({
      id,
      name: `${pick(ADJECTIVES, random)} ${pick(NOUNS, random)}`,
      price: cents(2 + random() * 198),
    });
  }

  const orders: Order[] = [];
  for (let id = 1; id <= orderCount; id++) {
    // Round-robin over customers so every customer has orders (the join benchmark expects
    // 100 orders to reference all 20 customers); products are picked at random.
    const customer = customers[(id - 1) % customerCount]!;
    const product = pick(products, random);
    const quantity = 1 + Math.floor(random() * 5);
    orders.push({
      id,
      customerId: customer.id,
      productId: product.id,
      quantity,
      total: cents(quantity * product.price),
      status: pick(STATUSES, random),
    });
  }

  const documents: Document[] = [];
  for (let id = 1; id <= documentCount; id++) {
    const customer = customers[(id - 1) % customerCount]!;
    documents.push({
      id,
      customerId: customer.id,
      title: `${pick(DOCUMENT_KINDS, random)} ${2020 + Math.floor(random() * 6)}-${String(id).padStart(4, '0')}`,
    });
  }

  return { customers, products, orders, documents };
}
