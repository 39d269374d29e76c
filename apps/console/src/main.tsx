/** The console's shell: navigation, the hash router, and the page for the current route. */
import { render } from 'preact';
import { href, useRoute } from './hooks.js';
import { GroupPage } from './pages/group-page.js';
import { GroupsPage } from './pages/groups-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { TopicPage } from './pages/topic-page.js';
import { TopicsPage } from './pages/topics-page.js';
import './styles.css';

function App() {
  const route = useRoute();
  const [section = 'overview', name] = route;
  const page =
    section === 'topics' && name !== undefined ? <TopicPage key={name} topic={name} />
    : section === 'topics' ? <TopicsPage />
    : section === 'groups' && name !== undefined ? <GroupPage key={name} groupId={name} />
    : section === 'groups' ? <GroupsPage />
    : <OverviewPage />;
  const link = (target: string, label: string) => (
    <a href={href(target)} aria-current={section === target ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <header>
        <a class="brand" href={href('overview')}>Spool</a>
        <nav aria-label="Sections">
          {link('overview', 'Overview')}
          {link('topics', 'Topics')}
          {link('groups', 'Consumer groups')}
        </nav>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
document.body.dataset.ready = 'true';
