/*
 * cloudstack: image bytes the Image API refuses, in the upload mode 'direct'
 * (HORIZON_IMAGES_UPLOAD_MODE), where the browser PUTs the file to the Image
 * API itself once Horizon has made the image record.
 *
 * Horizon left the record queued, showed the failed request as a toast (its
 * X-Auth-Token header included) and then failed on the missing answer. Here,
 * as in the mode 'legacy' (cloudstack/dashboard/images.py), the refused
 * image is deleted and the user reads the Image API's reason, in a toast and
 * in the Create Image dialog, which stays open. Any other failure of that PUT
 * is shown the same way, without the request (the image stays, queued).
 */
(function () {
  'use strict';

  var IMAGE_FILE = /\/v2\/images\/([^\/?]+)\/file$/;
  // What the last failed upload of this page said.
  var uploadError = null;

  angular
    .module('cloudstack.dashboard.images', [])
    .config(decorate);

  decorate.$inject = ['$provide'];

  function decorate($provide) {
    $provide.decorator('horizon.framework.util.http.service', deleteRefusedImages);
    $provide.decorator('horizon.app.core.openstack-service-api.glance', failWithTheReason);
  }

  function reasonOf(error) {
    var body = error.data;
    if (angular.isObject(body)) {
      body = body.message || (body.error && body.error.message) || '';
    }
    body = String(body || '').replace(/<[^>]*>/g, ' ');
    // A plain-text error is its title, a blank line, then the message.
    var parts = body.split(/\r?\n\s*\r?\n/);
    var text = (parts.length > 1 ? parts.slice(1).join(' ') : body).replace(/\s+/g, ' ').trim();
    return text || error.statusText ||
      (error.status > 0 ? String(error.status) : gettext('no answer'));
  }

  deleteRefusedImages.$inject = ['$delegate', '$q', 'horizon.framework.widgets.toast.service'];

  function deleteRefusedImages($delegate, $q, toastService) {
    var put = $delegate.put;
    $delegate.put = function (url, data, config) {
      var upload = config && config.external && IMAGE_FILE.exec(url);
      var sent = put.apply($delegate, arguments);
      if (!upload) {
        return sent;
      }
      return sent.catch(function (error) {
        var status = error && error.status;
        // Refused: bytes the Image API will not take for this image. (401
        // and 403 are Horizon's own to handle: log in again, no right.)
        var refused = status >= 400 && status < 500 && status !== 401 && status !== 403;
        uploadError = interpolate(refused ? gettext('The Image API refused the upload: %s')
                                      : gettext('The upload to the Image API failed: %s'),
                              [reasonOf(error || {})]);
        toastService.add('error', uploadError);
        // Without the request (and its token): Horizon's own toast says only
        // that the image was not made.
        var failed = $q.reject({status: status, data: null});
        if (!refused) {
          return failed;
        }
        return $delegate.delete('/api/glance/images/' + upload[1] + '/')
          .then(function () { return failed; }, function () { return failed; });
      });
    };
    return $delegate;
  }

  failWithTheReason.$inject = ['$delegate', '$q'];

  function failWithTheReason($delegate, $q) {
    var createImage = $delegate.createImage;
    $delegate.createImage = function () {
      uploadError = null;
      return createImage.apply($delegate, arguments).then(function (response) {
        // Horizon's error handler answers nothing once it has shown the error.
        return response || $q.reject(uploadError ||
          gettext('Unable to create the image.'));
      });
    };
    return $delegate;
  }
})();
