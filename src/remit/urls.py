from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import path


def home(request):
    # Until the portal and back office exist, staff work in the admin.
    return HttpResponseRedirect("/admin/")


urlpatterns = [
    path("", home),
    path("admin/", admin.site.urls),
]
