from django.http import HttpResponse
from django.urls import path

app_name = "portal"
urlpatterns: list = [
    path("", lambda request: HttpResponse("Coming soon."), name="home"),
]
