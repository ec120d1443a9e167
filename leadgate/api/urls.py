from ninja import NinjaAPI

api = NinjaAPI(title="Leadgate API", version="1")
