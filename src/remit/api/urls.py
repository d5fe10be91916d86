urlpatterns: list = []  # the API routes arrive with the API work
