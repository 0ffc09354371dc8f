"""Horizon at /dashboard of a real cloudstack-all: logging in through its form,
pages showing what our APIs hold, its static files, and one log-in in a real
browser (Debian's Chromium, headless, through selenium).

One cloud serves the whole module: its first start collects and compresses
Horizon's static files, which takes a while.
"""
import importlib.util
import json
import os
import pathlib
import re
import shutil
import tempfile

import pytest
import requests

from tests.functional import conftest
from tests.functional.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('openstack_dashboard') is None,
    reason="needs Horizon: pip install 'cloudstack[dashboard]'")

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'


@pytest.fixture(scope='module')
def cloud(tmp_path_factory):
    if conftest.DB_URL:
        conftest._empty(conftest.DB_URL)
    cloud = conftest.Cloud(tmp_path_factory.mktemp('dashboard'))
    cloud.options['dashboard'] = {'enabled': True}
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    try:
        cloud.ready('/healthcheck', timeout=300)
        yield cloud
    finally:
        cloud.kill_all()


@pytest.fixture(scope='module')
def sdk(cloud):
    import openstack
    return openstack.connection.Connection(session=conftest.keystone_session(cloud))


class Browser:
    """A user of the dashboard over HTTP: cookies kept, CSRF token sent back
    as Horizon's pages and scripts do."""

    def __init__(self, cloud):
        self.base = cloud.url + '/dashboard'
        self.http = requests.Session()

    def get(self, path, **kwargs):
        return self.http.get(self.base + path, timeout=60, **kwargs)

    def log_in(self, username='admin', password=ADMIN_PASSWORD):
        form = self.get('/auth/login/')
        assert form.status_code == 200, form.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        region = re.search(r'name="region" value="([^"]*)"', form.text).group(1)
        return self.http.post(self.base + '/auth/login/', timeout=60, data={
            'csrfmiddlewaretoken': token, 'region': region,
            'username': username, 'password': password},
            headers={'Referer': form.url})

    def log_out(self, page):
        """Sign Out from the user menu of `page`: a form posted with its token."""
        form = re.search(r'<form method="post" action="/dashboard/auth/logout/">(.*?)</form>',
                         page, re.S).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        return self.http.post(self.base + '/auth/logout/', timeout=60,
                              data={'csrfmiddlewaretoken': token},
                              headers={'Referer': self.base + '/'})

    def api(self, path, method='GET', **kwargs):
        """Horizon's REST API, as its Angular pages call it; the response."""
        return self.http.request(method, self.base + '/api' + path, timeout=60, headers={
            'X-Requested-With': 'XMLHttpRequest', 'Referer': self.base + '/',
            'X-CSRFToken': self.http.cookies['csrftoken']}, **kwargs)

    def api_get(self, path):
        resp = self.api(path)
        assert resp.status_code == 200, resp.text
        return resp.json()


def test_login_page_at_the_mount(cloud):
    resp = cloud.get('/dashboard', timeout=60)
    assert resp.status_code == 200
    assert resp.url == cloud.url + '/dashboard/auth/login/?next=/dashboard/'
    assert 'id="id_username"' in resp.text and 'id="id_password"' in resp.text


def test_static_files_are_served_compressed(cloud):
    page = cloud.get('/dashboard/auth/login/', timeout=60).text
    css = re.findall(r'href="(/dashboard/static/dashboard/css/output\.[0-9a-f]+\.css)"', page)
    js = re.findall(r'src="(/dashboard/static/dashboard/js/output\.[0-9a-f]+\.js)"', page)
    assert css and js, page
    for path, kind in [(css[0], 'text/css'), (js[0], 'javascript')]:
        resp = cloud.get(path)
        assert resp.status_code == 200, path
        assert kind in resp.headers['Content-Type']
        assert resp.content
    assert cloud.get('/dashboard/static/no/such.css').status_code == 404


def test_wrong_password_is_refused(cloud):
    user = Browser(cloud)
    resp = user.log_in(password='not-the-password')
    assert resp.url.startswith(user.base + '/auth/login/')
    assert 'Invalid credentials' in resp.text
    assert user.get('/identity/').url.startswith(user.base + '/auth/login/')


def _row_attrs(tag, *names):
    return tuple(re.search(r'%s="([^"]*)"' % name, tag).group(1) for name in names)


def test_log_in_see_projects_and_images_log_out(cloud, sdk):
    project = sdk.identity.create_project(name='dash-project', domain_id='default',
                                          description='seen in Horizon')
    image = sdk.image.create_image(name='dash-image', disk_format='raw',
                                   container_format='bare', data=b'dashboard bytes')
    user = Browser(cloud)

    resp = user.log_in()
    assert resp.status_code == 200
    assert resp.url == user.base + '/project/', resp.url
    [session] = [c for c in user.http.cookies if c.name == 'sessionid']
    assert len(session.value) < 4096        # a signed cookie, which fits
    assert session.path == '/dashboard/'    # not sent to the APIs

    projects = user.get('/identity/')
    assert projects.status_code == 200
    rows = dict(_row_attrs(tr, 'data-object-id', 'data-display')
                for tr in re.findall(r'<tr [^>]*data-object-id=[^>]*>', projects.text))
    assert rows.get(project.id) == 'dash-project', rows
    assert 'admin' in rows.values()
    assert 'seen in Horizon' in projects.text

    images_page = user.get('/project/images/')
    assert images_page.status_code == 200
    assert '<title>Images - OpenStack Dashboard</title>' in images_page.text
    listed = {i['id']: i for i in user.api_get('/glance/images/')['items']}
    assert listed[image.id]['name'] == 'dash-image'
    assert listed[image.id]['size'] == len(b'dashboard bytes')
    assert project.id in {p['id'] for p in user.api_get('/keystone/projects/')['items']}
    sdk.object_store.create_container(name='dash-container')
    containers = user.api_get('/swift/containers/')['items']
    assert 'dash-container' in {c['name'] for c in containers}
    users = user.get('/identity/users/')
    assert users.status_code == 200
    assert '>admin</a>' in users.text

    out = user.log_out(projects.text)
    assert out.url.startswith(user.base + '/auth/login/')
    assert user.get('/identity/').url.startswith(user.base + '/auth/login/')
    sdk.image.delete_image(image)
    sdk.identity.delete_project(project)
    sdk.object_store.delete_container('dash-container')


def test_image_upload_and_delete(cloud, sdk):
    """Images > Create Image with a file, then Delete Image: the requests the
    Angular panel sends (legacy upload mode: the bytes go through Horizon)."""
    user = Browser(cloud)
    user.log_in()
    data = os.urandom(4096)
    meta = {'name': 'uploaded-image', 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'private', 'protected': False, 'min_disk': 0, 'min_ram': 0,
            'source_type': 'file-direct'}
    created = user.api('/glance/images/', 'POST', data={'$$originalJSON': json.dumps(meta)},
                       files={'data': ('disk.raw', data)})
    assert created.status_code == 201, created.text
    image_id = created.json()['id']
    image = conftest.Cloud.wait_for(
        lambda: (lambda i: i.status == 'active' and i)(sdk.image.get_image(image_id)),
        timeout=60, interval=0.2)
    assert (image.name, image.size, image.visibility) == ('uploaded-image', len(data), 'private')
    assert b''.join(sdk.image.download_image(image, stream=True).iter_content(65536)) == data

    deleted = user.api('/glance/images/%s/' % image_id, 'DELETE')
    assert deleted.status_code == 204, deleted.text
    assert sdk.image.find_image(image_id, ignore_missing=True) is None


def _chrome():
    """A headless Chromium through selenium, or a skip naming what is missing."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.skip('needs Debian packages chromium and chromium-driver (missing %s)'
                    % ', '.join(missing))
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip('needs selenium (pip install selenium)')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage',
                '--window-size=1280,900'):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_log_in_with_a_browser(cloud, sdk, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    image = sdk.image.create_image(name='browser-image', disk_format='raw',
                                   container_format='bare', data=b'seen by Chromium')
    browser = _chrome()
    wait = WebDriverWait(browser, 60)
    try:
        browser.get(cloud.url + '/dashboard/')
        browser.find_element(By.ID, 'id_username').send_keys('admin')
        browser.find_element(By.ID, 'id_password').send_keys(ADMIN_PASSWORD)
        browser.find_element(By.ID, 'loginBtn').click()
        wait.until(ec.url_to_be(cloud.url + '/dashboard/project/'))
        assert browser.title == 'Overview - OpenStack Dashboard'
        # The Images panel is Angular: the row comes from Horizon's REST API,
        # in the browser.
        browser.get(cloud.url + '/dashboard/project/images/')
        link = wait.until(ec.presence_of_element_located(
            (By.XPATH, "//a[normalize-space()='browser-image']")))
        assert link.get_attribute('href').endswith('/dashboard/ngdetails/OS::Glance::Image/'
                                                   + image.id)
    except Exception:
        shot = tmp_path / 'dashboard-failure.png'
        browser.save_screenshot(str(shot))
        shutil.copy(shot, cloud.tmp / shot.name)    # kept with the cloud's logs
        raise
    finally:
        browser.quit()
        sdk.image.delete_image(image)


# ---------------------------------------------------------------------------
# Flows through every panel in a real browser. One Chromium, logged in as the
# admin, walks the pages a user would, in order (later flows use what earlier
# ones made: the network, the flavor, the server); each flow ends with a look
# at the page and at the cloud's state through openstacksdk. A failing flow
# leaves a screenshot and the page's HTML in the directory printed below.

class UI:
    """Horizon in Chromium: open pages, fill and send their forms, use table
    row actions, read the messages a page shows."""

    def __init__(self, driver, base, shots):
        from selenium.common import exceptions
        from selenium.webdriver.support.ui import WebDriverWait
        self.driver = driver
        self.base = base
        self.shots = shots
        # A condition that meets an element Angular has just redrawn is tried again.
        self.wait = WebDriverWait(driver, 90, ignored_exceptions=(
            exceptions.StaleElementReferenceException,))

    def find(self, css, within=None):
        from selenium.webdriver.common.by import By
        return (within or self.driver).find_element(By.CSS_SELECTOR, css)

    def click(self, by, selector):
        """Click what `selector` finds once it is clickable. Angular may draw
        the element again meanwhile: then it is found again."""
        from selenium.common import exceptions
        from selenium.webdriver.support import expected_conditions as ec
        clickable = ec.element_to_be_clickable((by, selector))

        def clicked(driver):
            try:
                element = clickable(driver)
                if element:
                    element.click()
                return element
            except exceptions.StaleElementReferenceException:
                return False
        return self.wait.until(clicked)

    def settle(self):
        self.wait.until(lambda d: d.execute_script(
            'return document.readyState == "complete" && '
            '(!window.jQuery || jQuery.active == 0)'))

    def open(self, path):
        self.driver.get(self.base + path)
        self.settle()
        assert self.driver.title != 'Server error', path
        return self.driver.page_source

    def text(self):
        return self.find('body').text

    def messages(self, kind):
        from selenium.webdriver.common.by import By
        return [m.text for m in self.driver.find_elements(
            By.CSS_SELECTOR, '.messages .alert-%s' % kind)]

    def errors(self):
        from selenium.webdriver.common.by import By
        found = self.messages('danger') + self.messages('error')
        found += [e.text for e in self.driver.find_elements(
            By.CSS_SELECTOR, '.has-error .help-block, .modal-body .alert-danger')]
        return found

    def _reloaded_after(self, act):
        """Do `act()`, then wait for the next page to have loaded."""
        from selenium.webdriver.support import expected_conditions as ec
        old = self.find('html')
        act()
        self.wait.until(ec.staleness_of(old))
        self.settle()

    def set(self, form, name, value):
        """A field's value, as a user's choice would set it (select options by
        value, or by label with Label(...); checkboxes by truth)."""
        field = self.driver.execute_script(
            'return arguments[0].elements[arguments[1]]', form, name)
        assert field is not None, 'no field %r in the form' % name
        self.set_field(field, value)

    def set_field(self, field, value):
        if isinstance(value, Label):
            value = self._option(field, value.text)
        self.driver.execute_script('''
            var el = arguments[0], v = arguments[1];
            if (el.type == 'checkbox') { el.checked = v; }
            else if (el.tagName == 'SELECT' && el.multiple) {
                Array.from(el.options).forEach(function (o) { o.selected = v.indexOf(o.value) >= 0; });
            } else { el.value = v; }
            if (window.jQuery) { jQuery(el).trigger('change'); }''', field, value)

    def _option(self, field, text):
        options = self.driver.execute_script(
            'return Array.from(arguments[0].options).map(function (o) {'
            '  return [o.value, o.text.trim()]; })', field)
        matches = [v for v, t in options if t == text or t.startswith(text + ' ')]
        assert matches, 'no option %r in %s' % (text, options)
        return matches[0]

    def options(self, path, name):
        """{value: label} of the select `name` on the form at `path`."""
        self.open(path)
        field = self.find('[name="%s"]' % name)
        return dict(self.driver.execute_script(
            'return Array.from(arguments[0].options).map(function (o) {'
            '  return [o.value, o.text.trim()]; })', field))

    def submit(self, path, values, success=True):
        """Open the form at `path`, fill it, send it; the messages shown then."""
        self.open(path)
        first = self.find('[name="%s"]' % next(iter(values)))
        form = self.driver.execute_script('return arguments[0].form', first)
        for name, value in values.items():
            self.set(form, name, value)
        self._reloaded_after(lambda: self.driver.execute_script(
            'HTMLFormElement.prototype.submit.call(arguments[0])', form))
        if success:
            assert not self.errors(), (path, self.errors())
        return self.messages('success')

    def row_action(self, table, obj_id, action):
        """A table row's action button (through its confirmation dialog, if
        it has one)."""
        self._press(self.find('#%s__row_%s__action_%s' % (table, obj_id, action)))

    def table_action(self, table, obj_ids, action):
        """A table's action on the rows checked."""
        for obj_id in obj_ids:
            box = self.find('#%s input[type=checkbox][value="%s"]' % (table, obj_id))
            self.driver.execute_script(
                'arguments[0].checked = true; jQuery(arguments[0]).trigger("change")', box)
        self._press(self.find('#%s__action_%s' % (table, action)))

    def _press(self, button):
        from selenium.common import exceptions
        from selenium.webdriver.common.by import By
        old = self.find('html')

        def confirm_or_gone(driver):
            try:
                old.tag_name
            except exceptions.StaleElementReferenceException:
                return 'gone'
            found = driver.find_elements(By.CSS_SELECTOR, '.modal-dialog .modal-footer '
                                         '.btn-danger, .modal-dialog .modal-footer .btn-primary')
            return found and found[0].is_displayed() and found[0]

        self.driver.execute_script('arguments[0].click()', button)
        confirm = self.wait.until(confirm_or_gone)
        if confirm != 'gone':
            self._reloaded_after(confirm.click)
        self.settle()
        assert not self.errors(), self.errors()
        return self.messages('success')

    def screenshot(self, name):
        self.driver.save_screenshot(str(self.shots / (name + '.png')))
        (self.shots / (name + '.html')).write_text(self.driver.page_source)


class Label:
    """A select option chosen by what the user reads, not by its value."""

    def __init__(self, text):
        self.text = text


def _until(predicate, timeout=120, what='the cloud'):
    return conftest.Cloud.wait_for(predicate, timeout=timeout, interval=0.5)


def _shots_dir():
    # Not under pytest's tmp dirs, which later runs delete.
    shots = pathlib.Path(os.environ.get('DASHBOARD_SCREENSHOTS')
                         or tempfile.mkdtemp(prefix='cloudstack-dashboard-shots-'))
    shots.mkdir(parents=True, exist_ok=True)
    print('\nscreenshots of failing flows: %s' % shots)
    return shots


def _logged_in(ui):
    """`ui`'s browser, logged in as the admin."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    ui.driver.get(ui.base + '/')
    ui.driver.find_element(By.ID, 'id_username').send_keys('admin')
    ui.driver.find_element(By.ID, 'id_password').send_keys(ADMIN_PASSWORD)
    ui.driver.find_element(By.ID, 'loginBtn').click()
    ui.wait.until(ec.url_contains('/dashboard/project/'))
    return ui


@pytest.fixture(scope='module')
def ui(cloud):
    driver = _chrome()
    try:
        yield _logged_in(UI(driver, cloud.url + '/dashboard', _shots_dir()))
    finally:
        driver.quit()


@pytest.fixture
def flow(ui, request):
    """The UI for one flow; its screenshot and page if the flow fails."""
    failed = request.session.testsfailed
    yield ui
    if request.session.testsfailed > failed:
        ui.screenshot(request.node.name)


@pytest.fixture(scope='module')
def made():
    """What the flows made, for the flows after them."""
    return {}


def test_admin_flavors_hypervisors_system_information_defaults(flow, sdk, made):
    # Admin > Flavors > Create Flavor
    assert 'dash.tiny' in ' '.join(flow.submit('/admin/flavors/create/', {
        'name': 'dash.tiny', 'flavor_id': 'auto', 'vcpus': '1', 'memory_mb': '128',
        'disk_gb': '1', 'eph_gb': '0', 'swap_mb': '0'}))
    flavor = sdk.compute.find_flavor('dash.tiny')
    assert (flavor.vcpus, flavor.ram, flavor.disk) == (1, 128, 1)
    made['flavor'] = flavor
    assert 'dash.tiny' in flow.text()

    # Admin > Hypervisors: the compute hosts Compute reports
    flow.open('/admin/hypervisors/')
    hypervisors = list(sdk.compute.hypervisors())
    assert hypervisors
    for hypervisor in hypervisors:
        assert hypervisor.name in flow.text()

    # Admin > System Information: the catalog, Compute's services, the
    # network agents, Block Storage's services
    flow.open('/admin/info/')
    assert 'glance' in flow.text() and 'nova' in flow.text()
    for tab, host in (('nova_services', sdk.compute.services()),
                      ('cinder_services', sdk.block_storage.services())):
        flow.open('/admin/info/?tab=system_info__%s' % tab)
        for service in host:
            assert service.host in flow.text(), (tab, service.host)
    flow.open('/admin/info/?tab=system_info__network_agents')
    for agent in sdk.network.agents():
        assert agent.host in flow.text()

    # Admin > Defaults: Update Defaults, seen by Compute and Block Storage
    flow.open('/admin/defaults/')
    flow.submit('/admin/defaults/update_defaults', {'instances': '17', 'volumes': '13'})
    assert sdk.compute.get_quota_set_defaults(sdk.current_project_id).instances == 17
    assert sdk.block_storage.get_quota_set_defaults(sdk.current_project_id).volumes == 13
    flow.open('/admin/defaults/')
    assert '17' in flow.text()


def test_identity_projects_quotas_users_groups_roles_credentials(flow, sdk, cloud, made):
    # Identity > Projects > Create Project, then Modify Quotas
    flow.submit('/identity/create', {'name': 'dash-project', 'description': 'made in Horizon'})
    project = sdk.identity.find_project('dash-project')
    assert project.description == 'made in Horizon'
    flow.submit('/identity/%s/update_quotas/' % project.id,
                {'instances': '7', 'cores': '9', 'volumes': '5', 'network': '4'})
    assert sdk.compute.get_quota_set(project.id).instances == 7
    assert sdk.compute.get_quota_set(project.id).cores == 9
    assert sdk.block_storage.get_quota_set(project.id).volumes == 5
    assert sdk.network.get_quota(project.id).networks == 4
    flow.open('/identity/')
    assert 'dash-project' in flow.text()

    # Roles (an Angular panel) > Create Role
    from selenium.webdriver.common.by import By
    flow.open('/identity/roles/')
    flow.click(By.XPATH, '//button[normalize-space()="Create Role"]')
    _type(flow, '.modal-dialog input[name="name"]', 'dash-role')
    _modal_confirm(flow)
    _until(lambda: sdk.identity.find_role('dash-role') is not None)
    role = sdk.identity.find_role('dash-role')
    assert role is not None

    # Users > Create User, a member of the new project with the new role
    flow.submit('/identity/users/create/', {
        'name': 'dash-user', 'email': 'dash@example.com', 'password': 'Dash-pass-123',
        'confirm_password': 'Dash-pass-123', 'project': project.id, 'role_id': role.id})
    user = sdk.identity.find_user('dash-user')
    assert user.email == 'dash@example.com'
    assignments = list(sdk.identity.role_assignments(user_id=user.id, scope_project_id=project.id))
    assert [a.role['id'] for a in assignments] == [role.id]
    flow.open('/identity/users/')
    assert 'dash-user' in flow.text()

    # Groups > Create Group, then Add Users
    flow.submit('/identity/groups/create', {'name': 'dash-group', 'description': 'from Horizon'})
    group = sdk.identity.find_group('dash-group')
    flow.open('/identity/groups/%s/add_members/' % group.id)
    flow.table_action('group_non_members', [user.id], 'add')
    assert [u.id for u in sdk.identity.group_users(group)] == [user.id]

    # Application Credentials > Create: its secret, shown once, works
    flow.submit('/identity/application_credentials/create/', {
        'name': 'dash-cred', 'description': 'for a script'})
    secret = flow.find('[name="app_cred_secret"]').get_attribute('value')
    cred_id = flow.find('[name="app_cred_id"]').get_attribute('value')
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3
    auth = v3.ApplicationCredential(auth_url=cloud.url + '/identity/v3',
                                    application_credential_id=cred_id,
                                    application_credential_secret=secret)
    assert ks_session.Session(auth=auth).get_token()
    made['project'] = project


def test_networking_network_router_security_group_floating_ip(flow, sdk, made):
    # The provider network an admin makes once, for routers and floating IPs.
    public = sdk.network.create_network(name='dash-public', is_router_external=True)
    sdk.network.create_subnet(network_id=public.id, cidr='203.0.113.0/24', ip_version=4,
                              name='dash-public-subnet')

    # Project > Network > Networks > Create Network, with its subnet
    flow.submit('/project/networks/create', {
        'net_name': 'dash-net', 'with_subnet': True, 'subnet_name': 'dash-subnet',
        'cidr': '10.20.0.0/24', 'ip_version': '4', 'gateway_ip': '', 'enable_dhcp': True})
    network = sdk.network.find_network('dash-net')
    [subnet] = list(sdk.network.subnets(network_id=network.id))
    assert (subnet.name, subnet.cidr, subnet.gateway_ip) == ('dash-subnet', '10.20.0.0/24',
                                                              '10.20.0.1')
    flow.open('/project/networks/%s/detail?tab=network_tabs__subnets_tab' % network.id)
    assert 'dash-subnet' in flow.text() and '10.20.0.0/24' in flow.text()

    # Routers > Create Router with the gateway, then Add Interface
    flow.submit('/project/routers/create/', {'name': 'dash-router',
                                            'external_network': public.id})
    router = sdk.network.find_router('dash-router')
    assert router.external_gateway_info['network_id'] == public.id
    flow.submit('/project/routers/%s/addinterface' % router.id, {'subnet_id': subnet.id})
    ports = list(sdk.network.ports(device_id=router.id, network_id=network.id))
    assert [p.fixed_ips[0]['ip_address'] for p in ports] == ['10.20.0.1']
    flow.open('/project/network_topology/')

    # Security Groups > Create Security Group, then Add Rule (SSH)
    flow.submit('/project/security_groups/create/', {'name': 'dash-sg',
                                                    'description': 'ssh in'})
    group = sdk.network.find_security_group('dash-sg')
    flow.submit('/project/security_groups/%s/add_rule/' % group.id, {
        'rule_menu': 'tcp', 'direction': 'ingress', 'port_or_range': 'port', 'port': '22',
        'remote': 'cidr', 'cidr': '0.0.0.0/0'})
    rules = [(r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix)
             for r in sdk.network.security_group_rules(security_group_id=group.id)
             if r.direction == 'ingress']
    assert ('tcp', 22, 22, '0.0.0.0/0') in rules

    # Floating IPs > Allocate IP To Project
    flow.submit('/project/floating_ips/allocate/', {'pool': public.id})
    [fip] = list(sdk.network.ips(floating_network_id=public.id))
    assert fip.floating_ip_address.startswith('203.0.113.')
    made.update(network=network, subnet=subnet, router=router, public=public,
                security_group=group, floating_ip=fip)


def _launch(flow, name, image, flavor, network, keypair=None, open_wizard=None):
    """Project > Compute > Instances > Launch Instance: the Angular wizard
    (or the one `open_wizard()` opens, e.g. an image's Launch)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    if open_wizard is None:
        flow.open('/project/instances/')
        flow.driver.find_element(By.LINK_TEXT, 'Launch Instance').click()
    else:
        open_wizard()
    wizard = flow.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, 'wizard')))
    flow.wait.until(ec.visibility_of_element_located((By.ID, 'name'))).send_keys(name)
    nav = flow.find('div.wizard-nav', wizard)

    def step(title, form, choice):
        nav.find_element(By.LINK_TEXT, title).click()
        table = flow.wait.until(ec.visibility_of_element_located(
            (By.CSS_SELECTOR, 'ng-include[ng-form=%s]' % form)))
        if choice is None:
            return table
        row = './/*[normalize-space(text())="%s"]/ancestor::tr' % choice
        flow.wait.until(lambda d: table.find_elements(By.XPATH, row))
        allocate = table.find_elements(By.XPATH, row + '//*[contains(@class, "fa-arrow-up")]')
        if allocate:
            allocate[0].click()
        table.find_element(By.XPATH, row + '//*[contains(@class, "fa-arrow-down")]')
        return table

    source = step('Source', 'launchInstanceSourceForm', None)
    no_volume = source.find_elements(By.XPATH, './/*[@id="vol-create"][normalize-space()="No"]')
    if no_volume:
        no_volume[0].click()
    step('Source', 'launchInstanceSourceForm', image)
    step('Flavor', 'launchInstanceFlavorForm', flavor)
    step('Networks', 'launchInstanceNetworkForm', network)
    if keypair is not None:
        step('Key Pair', 'launchInstanceKeypairForm', keypair)
    wizard.find_element(By.CSS_SELECTOR, 'button.btn-primary.finish').click()
    flow.wait.until(ec.invisibility_of_element_located((By.CSS_SELECTOR, 'wizard')))


def test_compute_launch_console_log_reboot_snapshot(flow, sdk, made, tmp_path):
    image = sdk.image.create_image(name='dash-guest', disk_format='raw',
                                   container_format='bare', data=b'\0' * 65536,
                                   visibility='public')
    # Key Pairs > Import Public Key
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    public_key = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    flow.submit('/project/key_pairs/import/', {'name': 'dash-key', 'key_type': 'ssh',
                                              'public_key': public_key})
    assert sdk.compute.get_keypair('dash-key').public_key.strip() == public_key
    _launch(flow, 'dash-server', 'dash-guest', made['flavor'].name, 'dash-net', 'dash-key')
    server = _until(lambda: (lambda s: s and s.status in ('ACTIVE', 'ERROR') and s)(
        sdk.compute.find_server('dash-server')))
    server = sdk.compute.get_server(server.id)
    assert server.status == 'ACTIVE', server.fault
    assert server.key_name == 'dash-key'
    assert made['flavor'].name == server.flavor.get('original_name') or \
        made['flavor'].id == server.flavor.get('id')
    assert list(server.addresses) == ['dash-net']
    made['server'] = server

    flow.open('/project/instances/')
    row = flow.find('tr[data-object-id="%s"]' % server.id)
    assert 'Active' in row.text and 'dash.tiny' in row.text

    # Instance details > Log: what Compute has of its console
    log = sdk.compute.get_server_console_output(server)['output']
    flow.open('/project/instances/%s/?tab=instance_details__log' % server.id)
    page_log = flow.find('pre.logs').text
    assert page_log.strip() and page_log.strip() in log

    # Soft Reboot Instance
    flow.open('/project/instances/')
    flow.row_action('instances', server.id, 'soft_reboot')
    _until(lambda: sdk.compute.get_server(server.id).status == 'ACTIVE')
    actions = [a.action for a in sdk.compute.server_actions(server)]
    assert 'reboot' in actions

    # Create Snapshot: an image of the server, in the Image API
    flow.submit('/project/images/%s/create/' % server.id, {'name': 'dash-snapshot'})
    snapshot = _until(lambda: (lambda i: i and i.status == 'active' and i)(
        sdk.image.find_image('dash-snapshot')))
    assert sdk.image.get('/images/%s' % snapshot.id).json()['instance_uuid'] == server.id
    made['snapshot'] = snapshot


def test_volumes_create_attach_snapshot_detach_delete(flow, sdk, made):
    server = made['server']
    flow.submit('/project/volumes/create/', {'name': 'dash-volume', 'size': '1',
                                            'description': 'from Horizon'})
    volume = sdk.block_storage.find_volume('dash-volume')
    sdk.block_storage.wait_for_status(volume, 'available', wait=120)

    # Manage Attachments > Attach Volume
    flow.submit('/project/volumes/%s/attach/' % volume.id, {'instance': server.id})
    volume = sdk.block_storage.wait_for_status(volume, 'in-use', wait=120)
    assert [a['server_id'] for a in volume.attachments] == [server.id]
    flow.open('/project/volumes/')
    assert 'dash-server' in flow.find('tr[data-object-id="%s"]' % volume.id).text

    # Create Snapshot (of the attached volume)
    flow.submit('/project/volumes/%s/create_snapshot/' % volume.id, {'name': 'dash-vsnap'})
    snapshot = sdk.block_storage.find_snapshot('dash-vsnap')
    sdk.block_storage.wait_for_status(snapshot, 'available', wait=120)
    assert snapshot.volume_id == volume.id

    # Instance > Detach Volume
    flow.submit('/project/instances/%s/detach_volume/' % server.id, {'volume': volume.id})
    sdk.block_storage.wait_for_status(volume, 'available', wait=120)

    # Delete the snapshot, then the volume
    flow.open('/project/snapshots/')
    flow.row_action('volume_snapshots', snapshot.id, 'delete')
    sdk.block_storage.wait_for_delete(snapshot, wait=120)
    flow.open('/project/volumes/')
    flow.row_action('volumes', volume.id, 'delete')
    sdk.block_storage.wait_for_delete(volume, wait=120)


def test_floating_ip_associate_then_delete_the_instance(flow, sdk, made):
    server, fip = made['server'], made['floating_ip']
    [port] = list(sdk.network.ports(device_id=server.id))
    path = '/project/floating_ips/associate/?ip_id=%s' % fip.id
    targets = flow.options(path, 'port_id')
    [target] = [v for v in targets if v.startswith(port.id)]
    flow.submit(path, {'ip_id': fip.id, 'port_id': target})
    fip = sdk.network.get_ip(fip.id)
    assert fip.port_id == port.id
    assert fip.fixed_ip_address == port.fixed_ips[0]['ip_address']
    flow.open('/project/floating_ips/')
    assert 'dash-server' in flow.find('tr[data-object-id="%s"]' % fip.id).text

    # Delete Instance
    flow.open('/project/instances/')
    flow.row_action('instances', server.id, 'delete')
    _until(lambda: sdk.compute.find_server(server.id) is None)
    assert sdk.network.get_ip(fip.id).port_id is None


def _browser_session(flow):
    """requests with the browser's cookies: its Horizon session."""
    http = requests.Session()
    for cookie in flow.driver.get_cookies():
        http.cookies.set(cookie['name'], cookie['value'], path=cookie['path'])
    return http


def _toast(flow, text):
    """Wait for a message holding `text` (toasts come and go meanwhile)."""
    from selenium.common import exceptions
    from selenium.webdriver.common.by import By

    def shown(driver):
        try:
            return any(text in t.text for t in driver.find_elements(
                By.CSS_SELECTOR, '.toast-container .alert, .alert'))
        except exceptions.StaleElementReferenceException:
            return False
    flow.wait.until(shown)


def _type(flow, css, text):
    """Type into an Angular field, and wait for its checks to accept it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    field = flow.wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
    field.send_keys(text)
    flow.wait.until(lambda d: field.get_attribute('value') == text and 'ng-valid' in
                    field.get_attribute('class').split())


def _modal_confirm(flow):
    """The dialog's OK, once its fields are checked: while Angular's checks
    (e.g. "does this name exist?") are pending, the model has no value yet,
    and Horizon would send 'undefined'."""
    from selenium.webdriver.common.by import By
    flow.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '.modal-dialog .ng-pending'))
    flow.click(By.CSS_SELECTOR, '.modal-dialog .modal-footer .btn-primary, '
                                '.modal-dialog .modal-footer .btn-danger')


def test_object_store_container_upload_download_delete(flow, sdk, cloud, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    flow.open('/project/containers/')
    flow.find('button[ng-click="cc.createContainer()"]').click()
    _type(flow, '.modal-dialog input[name="name"]', 'dash-container')
    _modal_confirm(flow)
    _toast(flow, 'Container dash-container created.')
    assert sdk.object_store.get_container_metadata('dash-container').name == 'dash-container'

    # Into the container, Upload File
    flow.open('/project/containers/container/dash-container')
    data = os.urandom(3000)
    upload = tmp_path / 'report.bin'
    upload.write_bytes(data)
    flow.click(By.XPATH, '//button[.//span[contains(@class, "fa-upload")]]')
    flow.wait.until(ec.presence_of_element_located((By.ID, 'id_object_file'))).send_keys(
        str(upload))
    name = flow.find('.modal-dialog #id_name')
    flow.wait.until(lambda d: name.get_attribute('value') == 'report.bin' and 'ng-valid' in
                    name.get_attribute('class').split())
    _modal_confirm(flow)
    _toast(flow, 'File report.bin uploaded.')
    assert sdk.object_store.download_object('report.bin', container='dash-container') == data
    row = flow.wait.until(ec.presence_of_element_located(
        (By.XPATH, '//tr[.//*[normalize-space(text())="report.bin"]]')))
    assert '2.9 KB' in row.text or '3 KB' in row.text or '3000' in row.text, row.text

    # Download, as the browser does (its session's cookies)
    got = _browser_session(flow).get(cloud.url + '/dashboard/api/swift/containers/dash-container/object/report.bin',
                   timeout=60)
    assert got.status_code == 200 and got.content == data

    # Delete the object (its row's menu), then the container
    row.find_element(By.CSS_SELECTOR, '.dropdown-toggle').click()
    row.find_element(By.XPATH, './/a[normalize-space()="Delete"]').click()
    _modal_confirm(flow)
    _until(lambda: not list(sdk.object_store.objects('dash-container')))
    flow.open('/project/containers/container/dash-container')
    flow.click(By.CSS_SELECTOR, '.hz-container-delete-icon')
    _modal_confirm(flow)
    _toast(flow, 'Container dash-container deleted.')
    assert 'dash-container' not in [c.name for c in sdk.object_store.containers()]


def test_images_metadata_definitions_are_seeded(flow, sdk):
    """The Image API's catalog of metadata definitions starts with the
    standard set, and the Images page (which lists them) works."""
    namespaces = {n.namespace: n for n in sdk.image.metadef_namespaces()}
    for_images = [name for name, n in namespaces.items()
                  if 'OS::Glance::Image' in [a['name'] for a in n.resource_type_associations or []]]
    assert for_images, namespaces
    flow.open('/admin/metadata_defs/')
    for namespace in namespaces.values():
        assert namespace.display_name in flow.text()
    # What the Update Metadata dialogs and Launch Instance ask Horizon for,
    # by resource type; a type with none is an empty list, not an error.
    http = _browser_session(flow)
    for resource_type, expected in (('OS::Glance::Image', set(for_images)),
                                    ('OS::Nova::Server', {'OS::Compute::ServerPurpose'}),
                                    ('OS::Trove::Instance', set())):
        resp = http.get(flow.base + '/api/glance/metadefs/namespaces/', timeout=60,
                        params={'resource_type': resource_type},
                        headers={'X-Requested-With': 'XMLHttpRequest'})
        assert resp.status_code == 200, (resource_type, resp.text)
        assert {n['namespace'] for n in resp.json()['items']} == expected


def test_an_upload_the_image_api_refuses_reaches_the_user(flow, sdk, tmp_path):
    """Images > Create Image with a file whose bytes are not the format
    chosen: the Image API's 400 is shown, and no image is left queued."""
    not_qcow2 = tmp_path / 'plain.qcow2'
    not_qcow2.write_bytes(b'just some bytes, not a qcow2 header' * 100)
    before = {i.id for i in sdk.image.images()}
    _create_image(flow, 'refused-image', not_qcow2, 'QCOW2')
    _toast(flow, 'refused the upload')
    assert {i.id for i in sdk.image.images()} == before


def _create_image(flow, name, path, disk_format):
    """Images > Create Image from the file at `path`, sent."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    flow.open('/project/images/')
    flow.click(By.XPATH, '//button[normalize-space()="Create Image"]')
    # The file field shows once Horizon's settings (the upload mode) have come.
    upload = flow.wait.until(ec.presence_of_element_located(
        (By.CSS_SELECTOR, '.modal-dialog input[name="image_file"]')))
    flow.wait.until(ec.visibility_of_element_located((By.ID, 'imageForm-name'))).send_keys(
        name)
    upload.send_keys(str(path))
    flow.set_field(flow.find('#imageForm-format'), Label(disk_format))
    flow.find('button.btn-primary.finish').click()


@pytest.fixture
def direct_ui(tmp_path_factory, request):
    """A second cloud, whose dashboard has the browser send image files to
    the Image API itself (Horizon's upload mode 'direct'), and a Chromium
    logged in there. Its database is its own SQLite file: the module's cloud
    may be using the test database."""
    cloud = conftest.Cloud(tmp_path_factory.mktemp('dashboard-direct'))
    cloud.options.pop('database', None)
    cloud.options['dashboard'] = {'enabled': True, 'images_upload_mode': 'direct'}
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    driver = None
    try:
        cloud.ready('/healthcheck', timeout=300)
        driver = _chrome()
        ui = _logged_in(UI(driver, cloud.url + '/dashboard', _shots_dir()))
        failed = request.session.testsfailed
        yield ui, cloud
        if request.session.testsfailed > failed:
            ui.screenshot(request.node.name)
    finally:
        if driver is not None:
            driver.quit()
        cloud.kill_all()


def test_a_direct_upload_the_image_api_refuses_leaves_no_image(direct_ui, tmp_path):
    """Upload mode 'direct': Horizon makes the image record, then the
    browser PUTs the file to the Image API. Bytes of the format chosen make
    an active image; bytes that are not are refused (400, the image left
    queued, as Glance does), and the dashboard deletes the image and shows
    the Image API's reason."""
    import openstack
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    flow, cloud = direct_ui
    sdk = openstack.connection.Connection(session=conftest.keystone_session(cloud))
    settings = flow.driver.execute_async_script(
        'var done = arguments[arguments.length - 1];'
        'fetch(arguments[0], {headers: {"X-Requested-With": "XMLHttpRequest"}})'
        '.then(function (r) { return r.text(); }).then(done);', flow.base + '/api/settings/')
    assert json.loads(settings)['HORIZON_IMAGES_UPLOAD_MODE'] == 'direct', settings

    raw = tmp_path / 'disk.raw'
    raw.write_bytes(os.urandom(8192))
    _create_image(flow, 'direct-image', raw, 'Raw')
    _toast(flow, 'direct-image')
    image = _until(lambda: (lambda i: i and i.status == 'active' and i)(
        sdk.image.find_image('direct-image')))
    assert image.size == 8192
    assert b''.join(sdk.image.download_image(image, stream=True).iter_content(65536)) == \
        raw.read_bytes()

    not_qcow2 = tmp_path / 'plain.qcow2'
    not_qcow2.write_bytes(b'just some bytes, not a qcow2 header' * 100)
    _create_image(flow, 'refused-direct', not_qcow2, 'QCOW2')
    # The dialog stays open and says why; so does a toast.
    error = flow.wait.until(ec.visibility_of_element_located(
        (By.CSS_SELECTOR, '.modal-dialog .error-message')))
    flow.wait.until(lambda d: error.text.strip())
    assert error.text.startswith('The Image API refused the upload: '), error.text
    assert 'qcow2' in error.text.lower()
    _toast(flow, 'The Image API refused the upload: ')
    shown = ' '.join(t.text for t in flow.driver.find_elements(By.CSS_SELECTOR, '.alert'))
    assert 'X-Auth-Token' not in shown and 'token_id' not in shown, shown
    # The record Horizon made for it is gone: no queued image is left.
    assert [i.name for i in sdk.image.images()] == ['direct-image']


# What a flow needs but does not test, made through the API when no earlier
# flow made it (so that each flow also runs alone, with -k).

def _flavor(sdk, name, ram):
    return sdk.compute.find_flavor(name) or sdk.compute.create_flavor(
        name=name, vcpus=1, ram=ram, disk=1)


def _guest_image(sdk):
    return sdk.image.find_image('dash-guest') or sdk.image.create_image(
        name='dash-guest', disk_format='raw', container_format='bare', data=b'\0' * 65536,
        visibility='public')


def _network(sdk):
    network = sdk.network.find_network('dash-net')
    if network is None:
        network = sdk.network.create_network(name='dash-net')
        sdk.network.create_subnet(network_id=network.id, cidr='10.20.0.0/24', ip_version=4,
                                  name='dash-subnet')
    return network


def _active_server(sdk, name, flavor):
    server = sdk.compute.create_server(
        name=name, flavor_id=flavor.id, image_id=_guest_image(sdk).id,
        networks=[{'uuid': _network(sdk).id}])
    server = sdk.compute.wait_for_server(server, status='ACTIVE', wait=180)
    return server


def _image_row(flow, name):
    """The row of the Angular Images table whose name is `name`."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    return flow.wait.until(ec.visibility_of_element_located(
        (By.XPATH, '//tr[.//a[normalize-space()="%s"]]' % name)))


def _item_action(flow, row, action):
    """An Angular table row's action: its button, else an entry of its menu."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    buttons = [b for b in row.find_elements(By.XPATH, './/button[normalize-space()="%s"]'
                                            % action) if b.is_displayed()]
    if buttons:
        flow.wait.until(ec.element_to_be_clickable(buttons[0])).click()
        return
    row.find_element(By.CSS_SELECTOR, '.dropdown-toggle').click()
    flow.wait.until(ec.element_to_be_clickable(row.find_element(
        By.XPATH, './/a[normalize-space()="%s"]' % action))).click()


def test_compute_resize_confirm_and_vnc_console(flow, sdk, cloud):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    small, bigger = _flavor(sdk, 'dash.tiny', 128), _flavor(sdk, 'dash.bigger', 256)
    server = _active_server(sdk, 'dash-resized', small)

    # Instances > the row's Resize Instance (its form), then Confirm Resize/Migrate
    flow.open('/project/instances/')
    resize = flow.find('#instances__row_%s__action_resize' % server.id).get_attribute('href')
    assert resize.startswith(flow.base + '/project/instances/%s/resize?' % server.id), resize
    flow.submit(resize[len(flow.base):], {'flavor': bigger.id})
    _until(lambda: sdk.compute.get_server(server.id).status in ('VERIFY_RESIZE', 'ERROR'))
    assert sdk.compute.get_server(server.id).status == 'VERIFY_RESIZE'
    flow.open('/project/instances/')
    assert 'Confirm or Revert Resize/Migrate' in flow.find(
        'tr[data-object-id="%s"]' % server.id).text
    flow.row_action('instances', server.id, 'confirm')
    resized = _until(lambda: (lambda s: s.status in ('ACTIVE', 'ERROR') and s)(
        sdk.compute.get_server(server.id)))
    assert resized.status == 'ACTIVE', resized.fault
    assert resized.flavor['original_name'] == 'dash.bigger'
    assert 'resize' in [a.action for a in sdk.compute.server_actions(server)]
    flow.open('/project/instances/')
    row = flow.find('tr[data-object-id="%s"]' % server.id)
    assert 'dash.bigger' in row.text and 'Active' in row.text

    # Instance details > Console: noVNC's page, from our console proxy, in
    # an iframe, connected through the proxy to the guest's VNC server.
    flow.open('/project/instances/%s/?tab=instance_details__console' % server.id)
    frame = flow.wait.until(ec.presence_of_element_located((By.ID, 'console_embed')))
    assert frame.get_attribute('src').startswith(cloud.url + '/console/vnc_lite.html?')
    flow.driver.switch_to.frame(frame)
    try:
        status = flow.wait.until(ec.presence_of_element_located((By.ID, 'status')))
        flow.wait.until(lambda d: status.text not in ('Loading', 'Connecting'))
        assert status.text.startswith('Connected to '), status.text
        assert flow.driver.find_elements(By.CSS_SELECTOR, '#screen canvas')
    finally:
        flow.driver.switch_to.default_content()
    sdk.compute.delete_server(server)
    sdk.compute.wait_for_delete(server, wait=120)


def test_images_edit_then_launch_from_the_image(flow, sdk):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    image = sdk.image.create_image(name='dash-editable', disk_format='raw',
                                   container_format='bare', data=b'\0' * 65536,
                                   visibility='private')
    flavor, network = _flavor(sdk, 'dash.tiny', 128), _network(sdk)

    # Images > Edit Image: a new name, made public
    flow.open('/project/images/')
    _item_action(flow, _image_row(flow, 'dash-editable'), 'Edit Image')
    name = flow.wait.until(ec.visibility_of_element_located((By.ID, 'imageForm-name')))
    # The dialog fills its fields once the image has come.
    flow.wait.until(lambda d: name.get_attribute('value') == 'dash-editable')
    name.clear()
    flow.wait.until(lambda d: name.get_attribute('value') == '')
    _type(flow, '#imageForm-name', 'dash-edited')
    flow.find('.modal-dialog [name="visibility"]').find_element(
        By.XPATH, './/label[normalize-space()="Public"]').click()
    flow.find('.modal-dialog button.btn-primary.finish').click()
    _toast(flow, 'dash-edited')
    image = sdk.image.get_image(image.id)
    assert (image.name, image.visibility) == ('dash-edited', 'public')
    flow.open('/project/images/')
    assert 'Public' in _image_row(flow, 'dash-edited').text

    # Images > Launch: the wizard starts from the image
    flow.open('/project/images/')
    _launch(flow, 'dash-from-image', 'dash-edited', flavor.name, network.name,
            open_wizard=lambda: _item_action(flow, _image_row(flow, 'dash-edited'), 'Launch'))
    server = _until(lambda: (lambda s: s and s.status in ('ACTIVE', 'ERROR') and s)(
        sdk.compute.find_server('dash-from-image')))
    server = sdk.compute.get_server(server.id)
    assert server.status == 'ACTIVE', server.fault
    assert server.image['id'] == image.id
    assert list(server.addresses) == [network.name]
    flow.open('/project/instances/')
    row = flow.find('tr[data-object-id="%s"]' % server.id)
    assert 'dash-edited' in row.text and 'Active' in row.text
    sdk.compute.delete_server(server)
    sdk.compute.wait_for_delete(server, wait=120)
    sdk.image.delete_image(image)


def test_volumes_back_up_a_volume(flow, sdk):
    volume = sdk.block_storage.create_volume(name='dash-backed', size=1)
    sdk.block_storage.wait_for_status(volume, 'available', wait=120)

    # Volumes > Create Backup
    flow.submit('/project/volumes/%s/create_backup/' % volume.id, {
        'name': 'dash-backup', 'description': 'from Horizon', 'container_name': ''})
    backup = _until(lambda: sdk.block_storage.find_backup('dash-backup'))
    backup = sdk.block_storage.wait_for_status(backup, 'available', failures=['error'],
                                               wait=180)
    assert (backup.volume_id, backup.description) == (volume.id, 'from Horizon')

    # Volume Backups: the backup, available
    flow.open('/project/backups/')
    row = flow.find('tr[data-object-id="%s"]' % backup.id)
    assert 'dash-backup' in row.text and 'Available' in row.text
    assert 'dash-backed' in row.text
    flow.row_action('volume_backups', backup.id, 'delete')
    sdk.block_storage.wait_for_delete(backup, wait=120)
    sdk.block_storage.delete_volume(volume)


def test_object_store_public_container_link(flow, sdk):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    sdk.object_store.create_container(name='dash-public')
    sdk.object_store.upload_object(container='dash-public', name='hello.txt',
                                   data=b'hello, anyone')
    anonymous = requests.Session()

    # Containers > the container > Public Access
    flow.open('/project/containers/container/dash-public')
    # its details unfold
    flow.click(By.XPATH, '//*[contains(@class, "hz-container-title")]'
                         '[normalize-space()="dash-public"]')
    # (a themed checkbox: the box drawn is its label's)
    flow.wait.until(ec.presence_of_element_located((By.ID, 'id_access')))
    flow.click(By.CSS_SELECTOR, 'label[for="id_access"]')
    _toast(flow, 'Container dash-public is now public.')
    assert '.r:*' in sdk.object_store.get_container_metadata('dash-public').read_ACL
    link = flow.wait.until(ec.visibility_of_element_located(
        (By.XPATH, '//li[contains(@class, "hz-object-link")]//a[normalize-space()="Link"]')))
    url = link.get_attribute('href')
    assert url.endswith('/dash-public')

    # The link works without any token, and lists the container
    listing = anonymous.get(url, timeout=60)
    assert listing.status_code == 200, listing.text
    assert listing.text.split() == ['hello.txt']
    got = anonymous.get(url + '/hello.txt', timeout=60)
    assert (got.status_code, got.content) == (200, b'hello, anyone')

    # Public Access off again: the link is gone, and so is anonymous reading
    flow.click(By.CSS_SELECTOR, 'label[for="id_access"]')
    _toast(flow, 'Container dash-public is now private.')
    flow.wait.until(ec.invisibility_of_element_located(
        (By.XPATH, '//li[contains(@class, "hz-object-link")]//a[normalize-space()="Link"]')))
    assert anonymous.get(url + '/hello.txt', timeout=60).status_code in (401, 403)
    sdk.object_store.delete_object('hello.txt', container='dash-public')
    sdk.object_store.delete_container('dash-public')


def test_landing_page_works_without_compute(cloud, sdk, tmp_path):
    """A cloud whose catalog has no Compute still lands, after log-in, on a
    page that works (Horizon's Overview panels need Compute), and so does
    the Admin dashboard."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    compute = sdk.identity.find_service('nova')
    sdk.identity.update_service(compute, is_enabled=False)
    driver = _chrome()
    try:
        driver.get(cloud.url + '/dashboard/')
        driver.find_element(By.ID, 'id_username').send_keys('admin')
        driver.find_element(By.ID, 'id_password').send_keys(ADMIN_PASSWORD)
        driver.find_element(By.ID, 'loginBtn').click()
        WebDriverWait = __import__('selenium.webdriver.support.ui', fromlist=['x']).WebDriverWait
        WebDriverWait(driver, 60).until(ec.url_contains('/dashboard/project/'))
        landed = driver.current_url
        assert landed != cloud.url + '/dashboard/project/', landed
        assert 'not authorized' not in driver.page_source.lower()
        assert driver.find_elements(By.CSS_SELECTOR, 'table, .hz-page-header, .page-header')
        driver.get(cloud.url + '/dashboard/admin/')
        assert driver.current_url != cloud.url + '/dashboard/admin/'
        assert 'not authorized' not in driver.page_source.lower()
    except Exception:
        driver.save_screenshot(str(tmp_path / 'landing.png'))
        print('screenshot: %s' % (tmp_path / 'landing.png'))
        raise
    finally:
        driver.quit()
        sdk.identity.update_service(compute, is_enabled=True)
