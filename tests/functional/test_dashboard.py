"""Horizon at /dashboard of a real cloudstack-all: logging in through its form,
pages showing what our APIs hold, its static files, and one log-in in a real
browser (Debian's Chromium, headless, through selenium).

One cloud serves the whole module: its first start collects and compresses
Horizon's static files, which takes a while.
"""
import importlib.util
import json
import os
import re
import shutil

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
